package serialport_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/sco-project/sco/devices/devicestest"
	"github.com/sco-project/sco/devices/serialport"
)

func TestParseTranscript(t *testing.T) {
	steps, err := serialport.ParseTranscript(strings.NewReader("# comment\n\n> \"W\\r\"\n< \"\\n01.234KG\\r\\nS00\\r\\x03\"\n! lost\n! up\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []serialport.Step{{'>', "W\r"}, {'<', "\n01.234KG\r\nS00\r\x03"}, {'!', "lost"}, {'!', "up"}}
	if len(steps) != len(want) {
		t.Fatalf("steps %v", steps)
	}
	for i := range want {
		if steps[i] != want[i] {
			t.Errorf("step %d = %v, want %v", i, steps[i], want[i])
		}
	}
	for _, bad := range []string{"> W\n", "? \"x\"\n", "! gone\n", ">\"W\"\n"} {
		_, err := serialport.ParseTranscript(strings.NewReader("# ok\n" + bad))
		if err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%q: %v, want an error naming line 2", bad, err)
		}
	}
}

func TestRecord(t *testing.T) {
	l := devicestest.NewLine(t)
	var rec bytes.Buffer
	o := fastOpts(l.Path)
	o.Record = &rec
	p, err := serialport.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Write([]byte("W\r")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ReadUntil("W\r", wait); err != nil {
		t.Fatal(err)
	}
	l.WriteString("\x0201.234\r")
	readN(t, p, 8)
	l.Unplug()
	if _, err := p.Read(make([]byte, 8)); !errors.Is(err, serialport.ErrLost) {
		t.Fatalf("read after unplug: %v", err)
	}
	nextEvent(t, p.Conn())
	l.Replug()
	nextEvent(t, p.Conn())
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	steps, err := serialport.ParseTranscript(&rec)
	if err != nil {
		t.Fatalf("recorded transcript does not parse: %v", err)
	}
	var got []string
	var from strings.Builder
	for _, s := range steps {
		if s.Dir == '<' {
			from.WriteString(s.Data) // reads may come in any chunks
			continue
		}
		if from.Len() > 0 {
			got = append(got, "< "+from.String())
			from.Reset()
		}
		got = append(got, s.String())
	}
	want := []string{`> "W\r"`, "< \x0201.234\r", "! lost", "! up"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("transcript %q, want %q", got, want)
	}
}
