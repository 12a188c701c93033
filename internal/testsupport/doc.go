// Package testsupport gives the tests of every package the real parts they
// run against: an embedded mochi broker, a real Mosquitto broker (run by
// internal/mosquittoproc) on a generated config or, started, stopped and
// reloaded as systemctl would, on the test's own (MosquittoService), an
// MQTT login the test drives and waits on (ConnectMQTT), a free loopback
// port for a config (FreePort), a process's output it waits on
// (SyncBuffer), pseudo-terminal pairs that go.bug.st/serial opens by
// path, the real commands built from source (Binary), what a pure package
// imports (AssertNoDeps), and the docs' fenced blocks (DocBlocks,
// MarkedBlock: the blocks marked "<!-- test: name -->" and the complete
// configs whose first line names their file), so that tests run what the
// docs show.
//
// Each helper registers its own cleanup with t.Cleanup, so a test never
// leaks a broker process or a file descriptor.
//
// Mosquitto is skipped when its binary is missing, unless the environment
// sets SCO_REQUIRE_MOSQUITTO=1 (scripts/test.sh does): then a missing
// Mosquitto fails the test, so CI can never pass by skipping the
// integration suite.
package testsupport
