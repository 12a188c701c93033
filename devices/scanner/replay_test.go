package scanner

import (
	"testing"
	"time"

	"github.com/sco-project/sco/devices/devicestest"
)

func TestReplayDatalogicSession(t *testing.T) {
	l := devicestest.NewLine(t)
	steps := l.LoadTranscript("testdata/datalogic_session.txt")
	d := open(t, l, &Opts{Model: "datalogic"})
	played := make(chan error, 1)
	go func() { played <- l.Play(steps, wait) }()
	for _, want := range []string{"]E0 5000112637922", "]E4 01234565"} {
		if s := nextScan(t, d); s.AIM+" "+s.Data != want {
			t.Fatalf("scan %+v, want %s", s, want)
		}
	}
	if err := d.SetEnabled(false); err != nil {
		t.Fatal(err)
	}
	if ev := nextConn(t, d); ev.Up {
		t.Fatalf("event %+v, want lost", ev)
	}
	if ev := nextConn(t, d); !ev.Up {
		t.Fatalf("event %+v, want restored", ev)
	}
	// The half frame from before the unplug is gone.
	if s := nextScan(t, d); s.AIM != "]C1" || s.Data != "0109501101530003" {
		t.Fatalf("scan %+v", s)
	}
	select {
	case err := <-played:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(wait):
		t.Fatal("session not played to the end")
	}
}
