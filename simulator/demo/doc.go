// Package demo is `kiosk-sim demo`: a small store running by itself. It
// starts a simulated store (embedded broker, attendant bridge, lanes on the
// real daemon code with virtual devices, virtual attendants), sends random
// shoppers to every lane, and prints what happens as it happens: alerts,
// who was paged, who claimed, time to claim and time to resolve.
package demo
