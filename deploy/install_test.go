package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeRoot is a system in a temporary directory that dpkg installs into
// (dpkg --root with --force-script-chrootless: the maintainer scripts run
// here with DPKG_ROOT set, and act on that root alone).
type fakeRoot struct {
	t    *testing.T
	dir  string
	dpkg string
}

// newFakeRoot makes a root with what the maintainer scripts expect of a
// Raspberry Pi OS store server: root, the groups dialout and gpio, and
// Mosquitto's user (sco-store depends on mosquitto).
func newFakeRoot(t *testing.T) *fakeRoot {
	t.Helper()
	r := &fakeRoot{t: t, dir: t.TempDir(), dpkg: tool(t, "dpkg", "dpkg")}
	for _, d := range []string{"var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "etc"} {
		require.NoError(t, os.MkdirAll(r.path(d), 0o755))
	}
	files := map[string]string{
		"var/lib/dpkg/status":    "",
		"var/lib/dpkg/available": "",
		"etc/passwd":             "root:x:0:0:root:/root:/bin/bash\nmosquitto:x:101:102::/var/lib/mosquitto:/usr/sbin/nologin\n",
		"etc/group":              "root:x:0:\ndialout:x:20:\ngpio:x:997:\nmosquitto:x:102:\n",
		"etc/shadow":             "root:*:19000:0:99999:7:::\nmosquitto:*:19000:0:99999:7:::\n",
		"etc/gshadow":            "root:*::\ndialout:*::\ngpio:!::\nmosquitto:!::\n",
	}
	for name, text := range files {
		require.NoError(t, os.WriteFile(r.path(name), []byte(text), 0o644))
	}
	return r
}

func (r *fakeRoot) path(p string) string { return filepath.Join(r.dir, p) }

// do runs dpkg on the root. passwd and mosquitto are not installed
// there, hence --force-depends.
func (r *fakeRoot) do(args ...string) string {
	r.t.Helper()
	argv := append([]string{"--root=" + r.dir, "--force-script-chrootless", "--force-depends",
		"--force-unsafe-io", "--log=/dev/null"}, args...)
	cmd := exec.Command(r.dpkg, argv...)
	out, err := cmd.CombinedOutput()
	require.NoError(r.t, err, "dpkg %s:\n%s", strings.Join(args, " "), out)
	return string(out)
}

func (r *fakeRoot) version(pkg string) string {
	r.t.Helper()
	out, err := exec.Command("dpkg-query", "--admindir="+r.path("var/lib/dpkg"), "-W", "-f", "${Version} ${db:Status-Abbrev}", pkg).CombinedOutput()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// entry is the line of name in the root's etc/passwd or etc/group.
func (r *fakeRoot) entry(file, name string) []string {
	r.t.Helper()
	var found []string
	for _, line := range strings.Split(read(r.t, r.path("etc/"+file)), "\n") {
		if strings.HasPrefix(line, name+":") {
			found = append(found, line)
		}
	}
	require.LessOrEqual(r.t, len(found), 1, "%s has %s once", file, name)
	if len(found) == 0 {
		return nil
	}
	return strings.Split(found[0], ":")
}

func (r *fakeRoot) owner(p string) int {
	r.t.Helper()
	st, err := os.Stat(r.path(p))
	require.NoError(r.t, err)
	return int(st.Sys().(*syscall.Stat_t).Uid)
}

// repack makes a copy of deb with another version: the "older release" of
// the upgrade and rollback steps.
func repack(t *testing.T, deb, version string) string {
	t.Helper()
	dir := t.TempDir()
	tree := filepath.Join(dir, "tree")
	run(t, "dpkg-deb", "-R", deb, tree)
	control := filepath.Join(tree, "DEBIAN/control")
	lines := strings.Split(read(t, control), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "Version: ") {
			lines[i] = "Version: " + version
		}
	}
	require.NoError(t, os.WriteFile(control, []byte(strings.Join(lines, "\n")), 0o644))
	out := filepath.Join(dir, filepath.Base(deb)+"-"+version+".deb")
	run(t, "dpkg-deb", "--root-owner-group", "-Znone", "-b", tree, out)
	return out
}

// TestPackagesInstall installs the amd64 packages with dpkg into a
// temporary root: an older release first, then this one (upgrade), the
// older one again (rollback), then removes and purges them. It checks what
// docs/deploy.md promises: the user sco in dialout and gpio, /var/lib/sco
// owned by it, the store's Mosquitto files ready, and the data dir and the
// admin's edits of the configs kept across upgrade and rollback.
func TestPackagesInstall(t *testing.T) {
	d := packages(t)
	if !slices.Contains(d.arches, "amd64") {
		t.Skip("no amd64 packages")
	}
	if os.Geteuid() != 0 {
		if requirePackages() {
			t.Fatal("dpkg --root needs root (to give files their owners) and SCO_REQUIRE_PACKAGES=1")
		}
		t.Skip("dpkg --root needs root")
	}
	cur := []string{d.deb("sco-lane", "amd64"), d.deb("sco-store", "amd64")}
	const oldVersion = "0.0.0~older"
	old := []string{repack(t, cur[0], oldVersion), repack(t, cur[1], oldVersion)}
	r := newFakeRoot(t)

	// First install.
	r.do(append([]string{"-i"}, old...)...)
	assert.Equal(t, oldVersion+" ii ", r.version("sco-lane")+" ")
	sco := r.entry("passwd", "sco")
	require.NotNil(t, sco, "the postinst creates the user sco")
	assert.Equal(t, "/var/lib/sco", sco[5], "home")
	assert.Equal(t, "/usr/sbin/nologin", sco[6], "shell")
	assert.Equal(t, sco[3], r.entry("group", "sco")[2], "primary group sco")
	for _, g := range []string{"dialout", "gpio"} {
		assert.Contains(t, strings.Split(r.entry("group", g)[3], ","), "sco", "sco is in %s", g)
	}
	st, err := os.Stat(r.path("var/lib/sco"))
	require.NoError(t, err)
	assert.Equal(t, os.ModeDir|0o750, st.Mode()&(os.ModeDir|os.ModePerm))
	assert.Equal(t, sco[2], strconv.Itoa(r.owner("var/lib/sco")), "/var/lib/sco belongs to sco")
	for _, f := range []string{"etc/mosquitto/sco/acl", "etc/mosquitto/sco/passwd"} {
		st, err := os.Stat(r.path(f))
		require.NoError(t, err, "the postinst prepares %s for sco.conf", f)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), f)
		assert.Equal(t, 101, r.owner(f), "%s belongs to mosquitto", f)
	}
	assert.Equal(t, read(t, "../scripts/mosquitto/acl"), read(t, r.path("etc/mosquitto/sco/acl")))
	assert.Empty(t, read(t, r.path("etc/mosquitto/sco/passwd")), "no broker user until add-user.sh")

	// The store runs a while: data, an edited config, a broker user.
	require.NoError(t, os.MkdirAll(r.path("var/lib/sco/lane"), 0o750))
	require.NoError(t, os.WriteFile(r.path("var/lib/sco/lane/lane.db"), []byte("journal"), 0o640))
	edited := read(t, r.path("etc/sco/lane.yaml")) + "# edited for lane 7\n"
	require.NoError(t, os.WriteFile(r.path("etc/sco/lane.yaml"), []byte(edited), 0o644))
	require.NoError(t, os.WriteFile(r.path("etc/mosquitto/sco/passwd"), []byte("bridge:$7$...\n"), 0o600))

	kept := func(step string) {
		t.Helper()
		assert.Equal(t, "journal", read(t, r.path("var/lib/sco/lane/lane.db")), "%s keeps the data dir", step)
		assert.Equal(t, edited, read(t, r.path("etc/sco/lane.yaml")), "%s keeps the edited lane.yaml", step)
		assert.Equal(t, "bridge:$7$...\n", read(t, r.path("etc/mosquitto/sco/passwd")), "%s keeps the broker users", step)
		assert.Equal(t, sco, r.entry("passwd", "sco"), "%s keeps the user", step)
	}

	// Upgrade, then rollback to the older release.
	r.do(append([]string{"-i"}, cur...)...)
	assert.Equal(t, d.version+" ii", r.version("sco-lane"))
	assert.Equal(t, d.version+" ii", r.version("sco-store"))
	kept("the upgrade")
	r.do(append([]string{"-i"}, old...)...)
	assert.Equal(t, oldVersion+" ii", r.version("sco-store"))
	kept("the rollback")

	// Remove keeps the configs; purge removes them and keeps the data.
	r.do("-r", "sco-lane", "sco-store")
	assert.NoFileExists(t, r.path("usr/bin/kioskd"))
	assert.FileExists(t, r.path("etc/sco/lane.yaml"), "remove keeps the conffiles")
	r.do("-P", "sco-lane", "sco-store")
	assert.NoFileExists(t, r.path("etc/sco/lane.yaml"), "purge removes the conffiles")
	assert.NoFileExists(t, r.path("etc/mosquitto/conf.d/sco.conf"))
	assert.Equal(t, "journal", read(t, r.path("var/lib/sco/lane/lane.db")), "purge keeps the data dir")
	assert.FileExists(t, r.path("etc/mosquitto/sco/passwd"), "purge keeps the broker users")
	assert.Empty(t, r.version("sco-lane"))
}
