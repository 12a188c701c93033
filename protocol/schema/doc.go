// Package schema is the normative JSON Schema (draft 2020-12) of every
// message of the MQTT contract, version 1: one file per payload (and
// defs.json for the types they share), embedded here and shipped as
// files for pager developers who validate in another language.
//
// The schemas describe exactly what a v1 sender sends: every field,
// which are required, where "" and null are allowed, the timestamp
// format, one will per retained topic. They are closed (no other
// fields), so a test of an app's output catches a misspelt field; a
// receiver should still ignore fields it does not know, as a later 1.x
// may add some. docs/protocol.md, "Schema", is the same in prose.
//
// Validate checks a payload against the schema of its topic. The tests
// check every golden payload of protocol/testdata, every example of
// docs/protocol.md and every message a real lane and bridge publish in
// an end-to-end run against these files, so the files cannot drift from
// the code.
package schema
