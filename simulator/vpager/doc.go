// Package vpager runs virtual attendants: pagers that publish presence
// and answer pages by a configurable Behaviour (claim after a delay,
// ignore, drop off the network, resolve with a given action, release),
// over a real MQTT broker, exactly as a handheld does.
//
// Each Pager reports what happened to it (paged, withdrawn, claimed, lost
// the claim, resolved) with timestamps, so the simulator's scenarios and
// benchmarks can measure time to page and time to claim. A Pager is built
// on pagerclient.Client, the reference pager, so the wire format is the
// same one cmd/pager speaks.
package vpager
