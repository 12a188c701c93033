// Package docs is the documentation for store IT and pager developers
// (Markdown, not Go code). Its test keeps the docs honest: every complete
// config they show, in README.md and docs/*.md, passes the real
// `-check-config` of its daemon.
//
// A complete config is a ```yaml block whose first line names the file,
// as a comment: "# bridge.yaml", "# /etc/sco/lane.yaml", optionally
// followed by a colon and words ("# bridge.yaml: every key"). The test
// writes it beside the relative files it names (the catalogue, password
// files, certificates) in a temporary directory and runs kioskd or
// attendant-bridge -check-config on it. A yaml block with a top-level
// store: key is a complete config and must be marked so.
//
// The steps of README.md and docs/bridge.md are run by
// scripts/mosquitto/store_test.go, marked with "<!-- test: name -->"
// lines (internal/testsupport: DocBlocks).
package docs
