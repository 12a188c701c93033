package pagerclient

import (
	"testing"

	"github.com/sco-project/sco/protocol"
)

// FuzzParseCommand: any line either parses into a command the UI can
// carry out, or is refused with an error; it never panics.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"", "a", "c 1", "r 2 approve", "l 3", "ls", "q", "r 1", "c -1", "zz top"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		c, err := ParseCommand(line)
		if err != nil {
			return
		}
		switch c.Op {
		case "claim", "release":
			if c.N <= 0 {
				t.Fatalf("%q: page %d", line, c.N)
			}
		case "resolve":
			if c.N <= 0 || !c.Action.Valid() {
				t.Fatalf("%q: %+v", line, c)
			}
		case "status":
			if c.Status != protocol.PresenceAvailable && c.Status != protocol.PresenceBusy && c.Status != protocol.PresenceBreak {
				t.Fatalf("%q: status %q", line, c.Status)
			}
		case "list", "help", "quit":
		default:
			t.Fatalf("%q: op %q", line, c.Op)
		}
	})
}
