package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.bug.st/serial"

	"github.com/sco-project/sco/attendant/web/webtest"
	"github.com/sco-project/sco/internal/cli"
	"github.com/sco-project/sco/internal/testsupport"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kiosk-sim-test-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "kiosk-sim")
	out, err := exec.Command("go", "build", "-race", "-o", bin, ".").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// The README's run command: the demo starts, shows lanes getting stuck and
// attendants paged and resolving, and stops cleanly on Ctrl-C with a
// summary.
func TestDemoStartsPagesAndStopsOnInterrupt(t *testing.T) {
	d := startDemo(t, "demo", "-lanes", "3", "-seed", "2", "-attendant", "zoe:front:attendant,age_verifier")
	got := d.await(120*time.Second, map[string]*regexp.Regexp{
		"screen":   regexp.MustCompile(`lane 1 \(front, nci scale\): http://127\.0\.0\.1:\d+/`),
		"alert":    regexp.MustCompile(`lane \S+\s+ALERT \w+`),
		"paged":    regexp.MustCompile(`paged (Ana|Ben|Sue) \(tier \d\)`),
		"resolved": regexp.MustCompile(`resolved \w+ by (Ana|Ben|Sue)`),
		"app":      regexp.MustCompile(`^attendant app: (http://127\.0\.0\.1:\d+)/ `),
		"zoe":      regexp.MustCompile(`^  zoe +4444 +Zoe +attendant, age_verifier +nobody plays Zoe$`),
		"pager":    regexp.MustCompile(`^zoe on a terminal pager: go run ./cmd/pager -broker tcp://127\.0\.0\.1:\d+ -store s1 -id zoe`),
	})
	// Zoe, whom nobody plays, signs in to the app with her PIN.
	webtest.Cookies(t, got["app"][1], "zoe", "4444")
	checkDemoSummary(t, d.interrupt())
}

// demoRun is kiosk-sim run as a person runs it in a terminal: its output
// read line by line, stopped with Ctrl-C (SIGINT). It is killed by its
// pid when the test ends without having stopped it.
type demoRun struct {
	t      *testing.T
	cmd    *exec.Cmd
	lines  chan string
	all    strings.Builder
	stderr testsupport.SyncBuffer
	done   chan error // its exit, once its output has ended
	exited bool       // done has been received
}

func startDemo(t *testing.T, args ...string) *demoRun {
	t.Helper()
	d := &demoRun{t: t, cmd: exec.Command(bin, args...), lines: make(chan string, 1024), done: make(chan error, 1)}
	stdout, err := d.cmd.StdoutPipe()
	require.NoError(t, err)
	d.cmd.Stderr = &d.stderr
	require.NoError(t, d.cmd.Start())
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			d.lines <- sc.Text()
		}
		close(d.lines)
		d.done <- d.cmd.Wait()
	}()
	t.Cleanup(func() {
		d.kill()
		if t.Failed() {
			t.Logf("kiosk-sim %s printed:\n%s\nstderr:\n%s", strings.Join(args, " "), d.all.String(), d.stderr.String())
		}
	})
	return d
}

// kill kills the demo by its pid unless it has exited, and waits for it.
func (d *demoRun) kill() {
	if d.exited {
		return
	}
	_ = d.cmd.Process.Kill()
	for range d.lines {
	}
	<-d.done
	d.exited = true
}

// await reads the output until each pattern has matched a line, and
// returns each one's submatches, by the same key.
func (d *demoRun) await(within time.Duration, want map[string]*regexp.Regexp) map[string][]string {
	d.t.Helper()
	got := map[string][]string{}
	deadline := time.After(within)
	for len(got) < len(want) {
		select {
		case l, ok := <-d.lines:
			require.True(d.t, ok, "the demo exited early")
			d.all.WriteString(l + "\n")
			for k, re := range want {
				if m := re.FindStringSubmatch(l); m != nil && got[k] == nil {
					got[k] = m
				}
			}
		case <-deadline:
			var missing []string
			for k := range want {
				if got[k] == nil {
					missing = append(missing, k)
				}
			}
			d.t.Fatalf("the demo did not show %v within %v", missing, within)
		}
	}
	return got
}

// interrupt stops the demo as Ctrl-C does and returns all it printed; it
// must exit 0 within 30 s.
func (d *demoRun) interrupt() string {
	d.t.Helper()
	require.NoError(d.t, d.cmd.Process.Signal(syscall.SIGINT))
	deadline := time.After(30 * time.Second)
	for {
		select {
		case l, ok := <-d.lines:
			if ok {
				d.all.WriteString(l + "\n")
				continue
			}
			err := <-d.done
			d.exited = true
			require.NoError(d.t, err, "demo exit")
			return d.all.String()
		case <-deadline:
			d.t.Fatal("the demo did not stop within 30s of Ctrl-C")
		}
	}
}

// checkDemoSummary checks the demo's summary: the store's report
// (attendant/report's text) over the run's records, whose kinds add up to
// its total and in which an attendant resolved something (the demo was
// stopped after a resolution), then the alerts open at stop.
func checkDemoSummary(t *testing.T, out string) {
	t.Helper()
	_, summary, ok := strings.Cut(out, "\nstopping...\n")
	require.True(t, ok, "no stop:\n%s", out)
	require.Regexp(t, `(?m)^Interventions at store s1, \S+ to \S+$`, summary)
	total := regexp.MustCompile(`(?m)^(\d+) checkouts?, (\d+) interventions?: `).FindStringSubmatch(summary)
	require.NotNil(t, total, "no total:\n%s", summary)
	sections := regexp.MustCompile(`(?ms)^By kind\nkind +count .*?\n(.*?)\n\nItems causing .*?^By attendant\nattendant +claims +resolved .*?\n(.*?)\n\n`).FindStringSubmatch(summary)
	require.NotNil(t, sections, "no kinds or attendants:\n%s", summary)
	kinds := 0
	for _, l := range strings.Split(sections[1], "\n") {
		f := strings.Fields(l)
		require.GreaterOrEqual(t, len(f), 2, l)
		n, err := strconv.Atoi(f[1])
		require.NoError(t, err, l)
		kinds += n
	}
	require.Equal(t, total[2], strconv.Itoa(kinds), "the kinds add up to the total:\n%s", summary)
	require.Regexp(t, `(?m)^(Ana \(ana\)|Ben \(ben\)|Sue \(sue\)) +\d+ +[1-9]\d* `, sections[2], "someone resolved an alert")
	require.Regexp(t, `(?m)\n(No alert was open at stop\.|Open at stop \(\d+\), not in the report: .*(\n  lane .*)+)\n$`, summary)
}

// `kiosk-sim run` passes a shipped scenario and fails a broken one with a
// report that names the step.
func TestRunScenarioPassAndFail(t *testing.T) {
	out, err := exec.Command(bin, "run", "../../simulator/scenarios/help.yaml").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "PASS help")
	require.Contains(t, string(out), "1 passed, 0 failed")

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte(`name: never-paged
steps:
  - help: true
  - expect: {paged: ben, within: 2s}
`), 0o644))
	out, err = exec.Command(bin, "run", bad).CombinedOutput()
	require.Error(t, err)
	require.Contains(t, string(out), "FAIL never-paged")
	require.Contains(t, string(out), "step 2 (expect paged ben)")
}

func TestUnknownCommand(t *testing.T) {
	cmd := exec.Command(bin, "frobnicate")
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	require.Equal(t, cli.ExitUsage, cmd.ProcessState.ExitCode())
	require.Contains(t, string(out), `kiosk-sim: unknown command "frobnicate"`)
}

// `kiosk-sim devices` gives a host real ttys: a scan typed on its prompt
// arrives on the scanner's port as a CR-terminated frame, and the scale
// answers an NCI weight poll with what was placed.
func TestDevicesCommandDrivesRealPorts(t *testing.T) {
	dir := t.TempDir()
	pr, pw := io.Pipe()
	var out testsupport.SyncBuffer
	done := make(chan int, 1)
	go func() {
		done <- devicesCommand().Execute(context.Background(), []string{"-dir", dir}, cli.Stdio{In: pr, Out: &out})
	}()
	defer pw.Close()
	scannerPath := filepath.Join(dir, "scanner")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	select {
	case <-out.Seen("put these paths"):
	case <-ctx.Done():
		t.Fatalf("devices did not start: %s", out.String())
	}
	port, err := serial.Open(scannerPath, &serial.Mode{BaudRate: 9600})
	require.NoError(t, err)
	defer port.Close()
	require.NoError(t, port.SetReadTimeout(100*time.Millisecond))

	_, err = io.WriteString(pw, "scan 5000112637922\nplace 355\n")
	require.NoError(t, err)
	var got []byte
	buf := make([]byte, 64)
	for !bytes.Contains(got, []byte("\r")) {
		require.NoError(t, ctx.Err(), "scan not received: %q", got)
		n, err := port.Read(buf)
		require.NoError(t, err)
		got = append(got, buf[:n]...)
	}
	require.Equal(t, "5000112637922\r", string(got))

	scale, err := serial.Open(filepath.Join(dir, "scale"), &serial.Mode{BaudRate: 9600, DataBits: 7, Parity: serial.EvenParity})
	require.NoError(t, err)
	defer scale.Close()
	require.NoError(t, scale.SetReadTimeout(100*time.Millisecond))
	select {
	case <-out.Seen("bagging area: 355 g"):
	case <-ctx.Done():
		t.Fatalf("place not applied: %s", out.String())
	}
	// Poll until the weight has settled (the scale moves after a change).
	for {
		require.NoError(t, ctx.Err(), "scale never reported 355 g")
		_, err := scale.Write([]byte("W\r"))
		require.NoError(t, err)
		var reply []byte
		for !bytes.Contains(reply, []byte{0x03}) && ctx.Err() == nil {
			n, err := scale.Read(buf)
			require.NoError(t, err)
			reply = append(reply, buf[:n]...)
		}
		// A settled load cell reads within a gram of the load.
		if regexp.MustCompile(`\n0?0\.35[4-6]KG\r`).Match(reply) {
			break
		}
	}
	_, err = io.WriteString(pw, "status\nfrob\nquit\n")
	require.NoError(t, err)
	require.Equal(t, cli.ExitOK, <-done)
	require.Contains(t, out.String(), `unknown command "frob"`)
	// The status line is in words, not a Go struct.
	require.Regexp(t, `scanner `+regexp.QuoteMeta(scannerPath)+`: plugged, enabled; scale \S+/scale: plugged, load 355 g, reads 35[4-6] g \(stable\)\n`, out.String())
	require.NotContains(t, out.String(), "{")
	_, err = os.Lstat(scannerPath)
	require.True(t, os.IsNotExist(err), "quit removes the device links: %v", err)
}

// SIGTERM stops `kiosk-sim devices` cleanly: it exits 0 and removes its
// device links.
func TestDevicesStopsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(bin, "devices", "-dir", dir)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	defer stdin.Close()
	var out testsupport.SyncBuffer
	cmd.Stdout = &out
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()
	select {
	case <-out.Seen("put these paths"):
	case <-time.After(10 * time.Second):
		t.Fatalf("devices did not start: %s", out.String())
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "exit status")
	for _, name := range []string{"scanner", "scale"} {
		_, err := os.Lstat(filepath.Join(dir, name))
		require.True(t, os.IsNotExist(err), "%s link removed: %v", name, err)
	}
}

// -h prints the usage on stdout and exits 0, for kiosk-sim and for each
// of its commands; a bad flag or command exits 2 with the usage on stderr.
func TestHelpAndUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"help"}, {"demo", "-h"}, {"run", "-help"}, {"devices", "-h"}, {"bench", "-h"}} {
		cmd := exec.Command(bin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, "%v: %s", args, stderr.String())
		require.Empty(t, stderr.String(), "%v", args)
		if args[0] == "-h" || args[0] == "help" {
			require.True(t, strings.HasPrefix(string(out), "usage: kiosk-sim <command>"), "%v: %s", args, out)
			require.Contains(t, string(out), "\n  demo ", "the commands")
			continue
		}
		require.True(t, strings.HasPrefix(string(out), "usage: kiosk-sim "+args[0]), "%v: %s", args, out)
		require.Contains(t, string(out), "-log-level", "%v", args)
	}
	for args, want := range map[string][]string{
		"kiosk-sim: no command\nusage: kiosk-sim <command>":                                       {},
		"kiosk-sim demo: flag provided but not defined: -colour\nusage: kiosk-sim demo [flags]\n": {"demo", "-colour"},
		"kiosk-sim demo: -lanes 0: between 1 and 64\nusage: kiosk-sim demo":                       {"demo", "-lanes", "0"},
		"kiosk-sim demo: invalid value \"loud\" for flag -log-level":                              {"demo", "-log-level", "loud"},
		"kiosk-sim demo: -acl runs its own broker: not with -broker, -username, -password or -ca": {"demo", "-acl", "-broker", "tcp://127.0.0.1:1883"},
		"kiosk-sim demo: -login needs -acl (the embedded broker takes anyone)":                    {"demo", "-login", "zed"},
		"kiosk-sim run: name one or more scenario files":                                          {"run"},
		"kiosk-sim devices: unexpected argument \"x\"":                                            {"devices", "x"},
		"kiosk-sim bench: -password needs -username":                                              {"bench", "-password", "pw"},
	} {
		cmd := exec.Command(bin, want...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.Error(t, err, "%v", want)
		require.Equal(t, cli.ExitUsage, cmd.ProcessState.ExitCode(), "%v: %s", want, stderr.String())
		require.Empty(t, out, "%v", want)
		require.True(t, strings.HasPrefix(stderr.String(), args), "%v: %s", want, stderr.String())
	}
}
