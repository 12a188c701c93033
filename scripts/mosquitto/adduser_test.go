package mosquitto_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/testsupport"
)

// addUser runs add-user.sh on dir and returns its exit code and output.
func addUser(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	out, err := exec.Command("./add-user.sh", append([]string{"-d", dir}, args...)...).CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), string(out)
	}
	require.NoError(t, err)
	return 0, string(out)
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// TestAddUser: add-user.sh works on a fresh directory in any order, is
// idempotent, and refuses what would reset another user's password or
// mix stores, saying why.
func TestAddUser(t *testing.T) {
	testsupport.NeedMosquittoPasswd(t)
	shipped := read(t, "acl")

	// A lane first, on a directory with no acl: the shipped acl is
	// installed and the lane's block appended to it.
	dir := filepath.Join(t.TempDir(), "sco")
	code, out := addUser(t, dir, "lane", "s1", "3", "pw3")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "installed the shipped acl")
	assert.Contains(t, out, "lane user lane-3 (store s1): password set, ACL block added")
	acl := read(t, filepath.Join(dir, "acl"))
	require.True(t, strings.HasPrefix(acl, shipped), "the shipped acl comes first:\n%s", acl)
	assert.Contains(t, acl, "\n# lane 3 of store s1\nuser lane-3\ntopic readwrite sco/v1/s1/lane/3/state\n")
	assert.NotContains(t, acl, "\npattern ")

	for _, args := range [][]string{{"bridge", "pwb"}, {"pager", "ana", "pwa"}, {"lane", "s1", "4", "pw4"}} {
		code, out := addUser(t, dir, args...)
		require.Equal(t, 0, code, "%v: %s", args, out)
	}
	acl = read(t, filepath.Join(dir, "acl"))
	passwd := read(t, filepath.Join(dir, "passwd"))
	for _, u := range []string{"bridge", "lane-3", "lane-4", "ana"} {
		assert.Contains(t, passwd, u+":")
		assert.Equal(t, 1, strings.Count(acl, "\nuser "+u+"\n"), u)
	}

	// Again: only the password changes.
	for _, args := range [][]string{{"bridge", "pwb2"}, {"pager", "ana", "pwa2"}, {"lane", "s1", "3", "pw32"}} {
		code, out := addUser(t, dir, args...)
		require.Equal(t, 0, code, "%v: %s", args, out)
		assert.Contains(t, out, "password changed (ACL block already in")
	}
	assert.Equal(t, acl, read(t, filepath.Join(dir, "acl")), "idempotent")
	assert.NotEqual(t, passwd, read(t, filepath.Join(dir, "passwd")))

	// Refused: nothing changes, and the line says why.
	mosquittoPasswd(t, filepath.Join(dir, "passwd"), "backup", "pwx")
	passwd = read(t, filepath.Join(dir, "passwd"))
	for _, tc := range []struct {
		args []string
		code int
		why  string
	}{
		{[]string{"pager", "bridge", "x"}, 1, `"bridge" cannot be an attendant: bridge, console and lane-* are reserved`},
		{[]string{"pager", "console", "x"}, 1, `"console" cannot be an attendant`},
		{[]string{"pager", "lane-3", "x"}, 1, `"lane-3" cannot be an attendant`},
		{[]string{"pager", "backup", "x"}, 1, `"backup" is in ` + dir + `/passwd but is not a pager in ` + dir + `/acl; refusing to change its password`},
		{[]string{"lane", "s2", "5", "x"}, 1, dir + `/acl serves store s1; refusing a lane of store s2 (one store per broker)`},
		{[]string{"pager", "Ana", "x"}, 2, `attendant "Ana" must match [a-z0-9-]+`},
		{[]string{"lane", "s1", "3/4", "x"}, 2, `lane "3/4" must match [a-z0-9-]+`},
		{[]string{"robot", "x"}, 2, `unknown kind "robot" (bridge, lane or pager)`},
		{[]string{"pager", "ana", "pw", "extra"}, 2, "add-user.sh [-d DIR] pager ATTENDANT [PASSWORD]"},
	} {
		code, out := addUser(t, dir, tc.args...)
		assert.Equal(t, tc.code, code, "%v: %s", tc.args, out)
		assert.Contains(t, out, tc.why, "%v", tc.args)
	}
	assert.Equal(t, acl, read(t, filepath.Join(dir, "acl")), "refusals leave the acl alone")
	assert.Equal(t, passwd, read(t, filepath.Join(dir, "passwd")), "refusals leave every password alone")

	// The layout before this one (pattern rules for pagers) is refused.
	old := filepath.Join(t.TempDir(), "sco")
	require.NoError(t, os.MkdirAll(old, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(old, "acl"), []byte("pattern read sco/v1/+/pager/%u/page\n"), 0o600))
	code, out = addUser(t, old, "pager", "ana", "x")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "has pattern rules (an older layout): move it aside and run add-user.sh again for every user")

	// Help is not an error.
	out2, err := exec.Command("./add-user.sh", "-h").CombinedOutput()
	require.NoError(t, err, "%s", out2)
	assert.Contains(t, string(out2), "add-user.sh [-d DIR] lane STORE LANE [PASSWORD]")
}

func mosquittoPasswd(t *testing.T, file, user, pw string) {
	t.Helper()
	out, err := exec.Command("mosquitto_passwd", "-b", file, user, pw).CombinedOutput()
	require.NoError(t, err, "%s", out)
}
