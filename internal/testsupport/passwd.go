package testsupport

import (
	"os/exec"
	"testing"
)

// NeedMosquittoPasswd skips a test that needs the mosquitto and
// mosquitto_passwd binaries when either is missing, or fails it when
// SCO_REQUIRE_MOSQUITTO=1.
func NeedMosquittoPasswd(t testing.TB) {
	t.Helper()
	if MosquittoBinary() == "" && !RequireMosquitto() {
		t.Skip("testsupport: mosquitto not installed")
	}
	if _, err := exec.LookPath("mosquitto_passwd"); err != nil {
		if RequireMosquitto() {
			t.Fatal("testsupport: mosquitto_passwd not found (Debian's mosquitto package has it)")
		}
		t.Skip("testsupport: mosquitto_passwd not installed")
	}
}
