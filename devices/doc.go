// Package devices holds the small interfaces a lane's hardware is driven
// through: Scanner, Scale, Light and Button, and the values they report
// (Scan, Reading, ConnEvent).
//
// Drivers live in subpackages and return concrete types that satisfy these
// interfaces; the lane engine (package kiosk) and the simulator use the
// same interfaces, so a simulated lane runs the code paths a real lane
// runs. Fakes for tests sit next to the drivers in ...test packages.
package devices
