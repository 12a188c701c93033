// Package protocol is the MQTT contract between lanes, the attendant
// bridge and pagers (version 1): topic names under sco/v1/{store}, the
// JSON payloads, their enumerations, and strict decoding with size limits.
//
// Every daemon and the simulator build and parse messages only through
// this package, so there is one place where the wire format is written
// down in code. docs/protocol.md is the same contract in prose.
package protocol
