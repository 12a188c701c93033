package scale

import (
	"testing"
	"time"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/devices/devicestest"
)

func TestReplayNCISession(t *testing.T) {
	l := devicestest.NewLine(t)
	steps := l.LoadTranscript("testdata/nci_session.txt")
	played := make(chan error, 1)
	go func() { played <- l.Play(steps, wait) }()
	d := openScale(t, l, &Opts{Protocol: "nci", ReplyTimeout: time.Second})
	for _, w := range []struct {
		what  string
		st    devices.Status
		grams int
	}{
		{"1234 g", devices.StatusStable, 1234},
		{"motion", devices.StatusUnstable, 0},
		{"zero", devices.StatusZero, 0},
		{"port lost", devices.StatusNotReady, 0},
		{"355 g after replug", devices.StatusStable, 355},
	} {
		r := await(t, d, w.what, status(w.st, ""))
		if r.Grams != w.grams {
			t.Fatalf("%s: %+v", w.what, r)
		}
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
