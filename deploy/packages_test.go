package deploy_test

import (
	"debug/buildinfo"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/testsupport"
)

// shipped is one file of a package: where it is installed, its mode, and
// the file of this repository it is a copy of ("" for a binary, built).
type shipped struct {
	path, mode, src string
}

var packageFiles = map[string][]shipped{
	"sco-lane": {
		{"/usr/bin/kioskd", "-rwxr-xr-x", ""},
		{"/lib/systemd/system/kioskd.service", "-rw-r--r--", "deploy/systemd/kioskd.service"},
		{"/lib/udev/rules.d/99-sco.rules", "-rw-r--r--", "deploy/udev/99-sco.rules"},
		{"/etc/sco/lane.yaml", "-rw-r--r--", "deploy/lane/lane.yaml"},
		{"/etc/sco/catalog.csv", "-rw-r--r--", "deploy/lane/catalog.csv"},
		{"/usr/share/doc/sco-lane/deploy.md", "-rw-r--r--", "docs/deploy.md"},
		{"/usr/share/doc/sco-lane/copyright", "-rw-r--r--", "deploy/nfpm/copyright"},
		{"/usr/share/doc/sco-lane/changelog.gz", "-rw-r--r--", ""},
		{"/usr/share/lintian/overrides/sco-lane", "-rw-r--r--", "deploy/nfpm/sco-lane.lintian-overrides"},
	},
	"sco-store": {
		{"/usr/bin/attendant-bridge", "-rwxr-xr-x", ""},
		{"/usr/bin/pager", "-rwxr-xr-x", ""},
		{"/usr/bin/kiosk-sim", "-rwxr-xr-x", ""},
		{"/lib/systemd/system/attendant-bridge.service", "-rw-r--r--", "deploy/systemd/attendant-bridge.service"},
		{"/etc/sco/bridge.yaml", "-rw-r--r--", "deploy/store/bridge.yaml"},
		{"/etc/mosquitto/conf.d/sco.conf", "-rw-r--r--", "scripts/mosquitto/sco.conf"},
		{"/usr/share/sco/mosquitto/acl", "-rw-r--r--", "scripts/mosquitto/acl"},
		{"/usr/share/sco/mosquitto/add-user.sh", "-rwxr-xr-x", "scripts/mosquitto/add-user.sh"},
		{"/usr/share/sco/mosquitto/sco-tls.conf", "-rw-r--r--", "scripts/mosquitto/sco-tls.conf"},
		{"/usr/share/sco/mosquitto/central-bridge.conf", "-rw-r--r--", "deploy/mosquitto/central-bridge.conf"},
		{"/usr/share/doc/sco-store/deploy.md", "-rw-r--r--", "docs/deploy.md"},
		{"/usr/share/doc/sco-store/copyright", "-rw-r--r--", "deploy/nfpm/copyright"},
		{"/usr/share/doc/sco-store/changelog.gz", "-rw-r--r--", ""},
		{"/usr/share/lintian/overrides/sco-store", "-rw-r--r--", "deploy/nfpm/sco-store.lintian-overrides"},
	},
}

var (
	conffiles = map[string][]string{
		"sco-lane":  {"/etc/sco/catalog.csv", "/etc/sco/lane.yaml"},
		"sco-store": {"/etc/mosquitto/conf.d/sco.conf", "/etc/sco/bridge.yaml"},
	}
	depends = map[string]string{"sco-lane": "passwd", "sco-store": "passwd, mosquitto"}
	// debian architecture -> GOARCH, GOARM, ELF machine, qemu-user
	arches = map[string]struct {
		goarch, goarm string
		machine       elf.Machine
		qemu          string
	}{
		"amd64": {"amd64", "", elf.EM_X86_64, ""},
		"arm64": {"arm64", "", elf.EM_AARCH64, "qemu-aarch64-static"},
		"armhf": {"arm", "7", elf.EM_ARM, "qemu-arm-static"},
	}
)

// dist is what scripts/package.sh built: $SCO_DIST, or dist/ with
// SCO_REQUIRE_PACKAGES=1; the version and the architectures.
type dist struct {
	dir, version string
	arches       []string
}

func (d dist) deb(pkg, arch string) string {
	return filepath.Join(d.dir, pkg+"_"+d.version+"_"+arch+".deb")
}

func packages(t *testing.T) dist {
	t.Helper()
	// dist/ may hold packages of an older tree: they are tested when
	// scripts/test.sh has just built them, or when SCO_DIST says so.
	d := dist{dir: os.Getenv("SCO_DIST")}
	if d.dir == "" {
		if !requirePackages() {
			t.Skip("packages not tested: scripts/package.sh, then SCO_DIST=$PWD/dist go test ./deploy (scripts/test.sh does both)")
		}
		d.dir = filepath.Join(testsupport.RepoRoot(t), "dist")
	}
	v, err := os.ReadFile(filepath.Join(d.dir, "VERSION"))
	if err != nil {
		if requirePackages() {
			t.Fatalf("no packages in %s and SCO_REQUIRE_PACKAGES=1: %v", d.dir, err)
		}
		t.Skipf("no packages in %s: run scripts/package.sh", d.dir)
	}
	d.version = strings.TrimSpace(string(v))
	d.arches = strings.Fields(read(t, filepath.Join(d.dir, "ARCHES")))
	if requirePackages() {
		require.ElementsMatch(t, []string{"amd64", "arm64", "armhf"}, d.arches, "CI builds every architecture")
	}
	tool(t, "dpkg-deb", "dpkg")
	return d
}

// TestPackages checks each package of each architecture: its metadata
// (dpkg-deb -f), its files and their modes (dpkg-deb -c), its conffiles
// and maintainer scripts, that every file but the binaries is the file of
// this repository, and that the binaries are static, stripped, built for
// the architecture as scripts/package.sh says; then it runs the extracted
// kioskd and attendant-bridge with -check-config on the shipped example
// configs (the ARM ones under qemu-user).
func TestPackages(t *testing.T) {
	d := packages(t)
	for _, arch := range d.arches {
		for _, pkg := range []string{"sco-lane", "sco-store"} {
			t.Run(pkg+"_"+arch, func(t *testing.T) {
				deb := d.deb(pkg, arch)
				require.FileExists(t, deb)
				checkInfo(t, deb, pkg, arch, d.version)
				checkListing(t, deb, pkg)
				root := t.TempDir()
				run(t, "dpkg-deb", "-x", deb, root)
				checkFiles(t, root, pkg, arch)
				checkControl(t, deb, pkg)
			})
		}
		t.Run("check-config_"+arch, func(t *testing.T) {
			root := t.TempDir()
			for _, pkg := range []string{"sco-lane", "sco-store"} {
				run(t, "dpkg-deb", "-x", d.deb(pkg, arch), root)
			}
			var prefix []string
			if q := arches[arch].qemu; q != "" {
				prefix = []string{tool(t, q, "qemu-user-static")}
			}
			runIn := func(bin string, args ...string) string {
				argv := append(append(slices.Clone(prefix), filepath.Join(root, "usr/bin", bin)), args...)
				return run(t, argv[0], argv[1:]...)
			}
			assert.Contains(t, runIn("kioskd", "-check-config", filepath.Join(root, "etc/sco/lane.yaml")), "lane.yaml: ok (store ")
			assert.Contains(t, runIn("attendant-bridge", "-check-config", filepath.Join(root, "etc/sco/bridge.yaml")), ": ok (store s1, 3 attendants,")
			if arch == "amd64" {
				runIn("pager", "-h")
				runIn("kiosk-sim", "-h")
			}
		})
	}
}

func checkInfo(t *testing.T, deb, pkg, arch, version string) {
	t.Helper()
	info := map[string]string{}
	for _, line := range strings.Split(run(t, "dpkg-deb", "-f", deb), "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, " ") {
			info[k] = v
		}
	}
	assert.Equal(t, pkg, info["Package"])
	assert.Equal(t, version, info["Version"])
	assert.Equal(t, arch, info["Architecture"])
	assert.Equal(t, depends[pkg], info["Depends"])
	assert.Equal(t, "misc", info["Section"])
	assert.Equal(t, "optional", info["Priority"])
	assert.NotEmpty(t, info["Maintainer"])
	assert.NotEmpty(t, info["Description"])
	if pkg == "sco-store" {
		assert.Equal(t, "mosquitto-clients", info["Recommends"])
	}
}

// checkListing reads dpkg-deb -c: exactly the files of packageFiles, with
// their modes, owned by root.
func checkListing(t *testing.T, deb, pkg string) {
	t.Helper()
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(run(t, "dpkg-deb", "-c", deb)), "\n") {
		f := strings.Fields(line)
		require.GreaterOrEqual(t, len(f), 6, "dpkg-deb -c line %q", line)
		assert.Equal(t, "root/root", f[1], "owner of %s", f[5])
		if strings.HasPrefix(f[0], "d") {
			continue
		}
		got[strings.TrimPrefix(f[5], ".")] = f[0]
	}
	want := map[string]string{}
	for _, s := range packageFiles[pkg] {
		want[s.path] = s.mode
	}
	assert.Equal(t, want, got, "files of %s", pkg)
}

func checkFiles(t *testing.T, root, pkg, arch string) {
	t.Helper()
	a := arches[arch]
	for _, s := range packageFiles[pkg] {
		path := filepath.Join(root, s.path)
		if s.src != "" {
			assert.True(t, read(t, filepath.Join(testsupport.RepoRoot(t), s.src)) == read(t, path),
				"%s differs from %s (packages of another tree? scripts/package.sh builds them again)", s.path, s.src)
			continue
		}
		if !strings.HasPrefix(s.path, "/usr/bin/") {
			continue
		}
		f, err := elf.Open(path)
		require.NoError(t, err)
		assert.Equal(t, a.machine, f.Machine, "%s: ELF machine", s.path)
		for _, p := range f.Progs {
			assert.NotEqual(t, elf.PT_INTERP, p.Type, "%s: static, no interpreter", s.path)
		}
		libs, _ := f.ImportedLibraries()
		assert.Empty(t, libs, "%s: static, no shared libraries", s.path)
		assert.Nil(t, f.Section(".symtab"), "%s: stripped", s.path)
		f.Close()

		bi, err := buildinfo.ReadFile(path)
		require.NoError(t, err)
		settings := map[string]string{}
		for _, kv := range bi.Settings {
			settings[kv.Key] = kv.Value
		}
		assert.Equal(t, "0", settings["CGO_ENABLED"], s.path)
		assert.Equal(t, a.goarch, settings["GOARCH"], s.path)
		assert.Equal(t, "linux", settings["GOOS"], s.path)
		assert.Equal(t, a.goarm, settings["GOARM"], s.path)
		// With -trimpath Go does not record -ldflags; no .symtab above
		// says -s.
		assert.Equal(t, "true", settings["-trimpath"], s.path)
	}
}

// checkControl reads the control archive: conffiles, and the maintainer
// scripts, executable and the same as deploy/nfpm's.
func checkControl(t *testing.T, deb, pkg string) {
	t.Helper()
	dir := t.TempDir()
	run(t, "dpkg-deb", "-e", deb, dir)
	got := strings.Fields(read(t, filepath.Join(dir, "conffiles")))
	sort.Strings(got)
	assert.Equal(t, conffiles[pkg], got, "conffiles")
	for _, s := range []string{"postinst", "prerm", "postrm"} {
		st, err := os.Stat(filepath.Join(dir, s))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o755), st.Mode().Perm(), s)
		assert.True(t, read(t, filepath.Join(testsupport.RepoRoot(t), "deploy/nfpm", s)) == read(t, filepath.Join(dir, s)), "%s differs from deploy/nfpm/%s", s, s)
	}
	ls, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ls {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"control", "md5sums", "conffiles", "postinst", "prerm", "postrm"}, names)
}

// TestPackagesLintian runs lintian on the amd64 packages (the files of the
// other architectures are the same but for the binaries): no error, no
// warning, but those the packages override, each with its reason (in
// deploy/nfpm/*.lintian-overrides).
func TestPackagesLintian(t *testing.T) {
	d := packages(t)
	if !slices.Contains(d.arches, "amd64") {
		t.Skip("no amd64 packages")
	}
	lintian := tool(t, "lintian", "lintian")
	out, err := exec.Command(lintian, "--fail-on", "error,warning", "--tag-display-limit", "0",
		d.deb("sco-lane", "amd64"), d.deb("sco-store", "amd64")).CombinedOutput()
	require.NoError(t, err, "lintian:\n%s", out)
	for _, line := range strings.Split(string(out), "\n") {
		assert.False(t, strings.HasPrefix(line, "E: ") || strings.HasPrefix(line, "W: "), "lintian: %s", line)
	}
}
