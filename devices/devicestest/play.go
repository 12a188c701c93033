package devicestest

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sco-project/sco/devices/serialport"
)

// LoadTranscript reads a transcript file (see serialport.Opts.Record),
// failing the test on error.
func (l *Line) LoadTranscript(path string) []serialport.Step {
	l.t.Helper()
	f, err := os.Open(path)
	if err != nil {
		l.t.Fatalf("devicestest: %v", err)
	}
	defer f.Close()
	steps, err := serialport.ParseTranscript(f)
	if err != nil {
		l.t.Fatalf("devicestest: %s: %v", path, err)
	}
	return steps
}

// Play plays the device side of a recorded session: for each "> data"
// step it waits (up to d) for the driver to write exactly that, for
// "< data" it sends data, and "! lost" / "! up" unplug and replug the
// line. It returns the first difference, naming the step. Run it in a
// goroutine while the test checks what the driver makes of the session.
// (A replug that cannot open a new pty fails the test from that
// goroutine; that only happens when the machine is out of ptys.)
func (l *Line) Play(steps []serialport.Step, d time.Duration) error {
	var pending []byte // read from the driver, not yet matched
	for i, st := range steps {
		switch st.Dir {
		case '<':
			if _, err := l.Write([]byte(st.Data)); err != nil {
				return fmt.Errorf("devicestest: step %d (%v): %w", i+1, st, err)
			}
		case '>':
			for len(pending) < len(st.Data) && bytes.HasPrefix([]byte(st.Data), pending) {
				got, err := l.ReadUntil(st.Data[len(pending):], d)
				pending = append(pending, got...)
				if err != nil {
					break
				}
			}
			if !bytes.HasPrefix(pending, []byte(st.Data)) {
				return fmt.Errorf("devicestest: step %d: driver wrote %q, transcript expects %q", i+1, pending, st.Data)
			}
			pending = pending[len(st.Data):]
		case '!':
			if strings.TrimSpace(st.Data) == "lost" {
				l.Unplug()
				pending = nil
			} else {
				l.Replug()
			}
		}
	}
	return nil
}
