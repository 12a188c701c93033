// Package protocol is the MQTT contract between lanes, the attendant
// bridge and pagers (version 1): topic names under sco/v1/{store}, the
// JSON payloads, their enumerations, one human text per alert kind
// (Kind.Text, PageText), the pager errors (PagerError), and strict
// decoding with size limits.
//
// Every daemon, the simulator and the reference pager build and parse
// messages only through this package, so there is one place where the
// wire format is written down in code. Third-party pager apps can import
// it or read docs/protocol.md, the same contract in prose: testdata/ holds
// a golden payload for every message, and the tests decode every JSON
// example in docs/protocol.md into these types, so the two cannot drift.
package protocol
