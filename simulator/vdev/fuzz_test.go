package vdev

import (
	"bytes"
	"testing"
	"time"
)

// FuzzScaleAnswers feeds arbitrary host bytes to each protocol: the
// scale never panics, never keeps more than a command's worth of bytes,
// and every answer is a well-framed reply of its protocol.
func FuzzScaleAnswers(f *testing.F) {
	for _, s := range []string{"W\r", "Z\rW\rS\r", "WZTC", "SI\r\nZ\r\nT\r\n@\r\n", "\xff\x00\r\n", "H\rU\rX\r"} {
		f.Add([]byte(s), uint16(355))
	}
	f.Fuzz(func(t *testing.T, in []byte, load uint16) {
		for _, p := range []Protocol{NCI, Toledo, SICS} {
			m := &ScaleModel{Protocol: p, Units: KG, Phys: NewPhysics(PhysicsOpts{Seed: 1}, t0), Serial: "1"}
			m.Phys.Place(int(load), t0)
			cmds, rest := SplitCommands(p, in)
			if len(rest) > maxCommand {
				t.Fatalf("%s: %d bytes kept", p, len(rest))
			}
			for i, c := range cmds {
				out := m.Answer(c, t0.Add(time.Duration(i)*100*time.Millisecond))
				if out == nil {
					if p != Toledo {
						t.Fatalf("%s: no answer to %q", p, c)
					}
					continue
				}
				switch p {
				case NCI:
					if out[0] != '\n' || !bytes.HasSuffix(out, []byte("\r\x03")) {
						t.Fatalf("nci: %q answered %q", c, out)
					}
				case Toledo:
					if out[0] != 0x02 || out[len(out)-1] != '\r' {
						t.Fatalf("toledo: %q answered %q", c, out)
					}
				case SICS:
					if !bytes.HasSuffix(out, []byte("\r\n")) || bytes.Count(out, []byte("\r\n")) != 1 {
						t.Fatalf("sics: %q answered %q", c, out)
					}
				}
			}
		}
	})
}
