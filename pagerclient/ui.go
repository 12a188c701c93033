package pagerclient

import (
	"context"
	"fmt"
	"io"

	"github.com/sco-project/sco/internal/cli"
	"github.com/sco-project/sco/protocol"
)

// Run is the terminal pager: it shows what c hears on out (a bell, \a,
// with every new page) and carries out the commands typed on in, one per
// line (see Help), until q, the end of in, ctx, or c's Close. The caller
// closes c afterwards.
func Run(ctx context.Context, c *Client, in io.Reader, out io.Writer) error {
	m := NewModel(c.ID(), c.Status())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lines, readErr := cli.ReadLines(ctx, in)
	ui := &ui{c: c, m: m, out: out}
	ui.printf("pager %s: type h for help", c.ID())
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-c.Events():
			if !ok {
				return nil
			}
			ui.show(m.Apply(ev))
		case line, ok := <-lines:
			if !ok {
				if err := <-readErr; err != nil {
					return fmt.Errorf("pagerclient: reading commands: %w", err)
				}
				return nil
			}
			if quit := ui.do(line); quit {
				return nil
			}
		}
	}
}

type ui struct {
	c   *Client
	m   *Model
	out io.Writer
}

func (u *ui) printf(format string, a ...any) { fmt.Fprintf(u.out, format+"\n", a...) }

func (u *ui) show(lines []Line) {
	for _, l := range lines {
		if l.Bell {
			fmt.Fprint(u.out, "\a")
		}
		u.printf("%s", l.Text)
	}
}

// do carries out one typed line and reports whether to quit.
func (u *ui) do(line string) bool {
	cmd, err := ParseCommand(line)
	if err != nil {
		u.printf("error: %v", err)
		return false
	}
	switch cmd.Op {
	case "quit":
		return true
	case "help":
		u.printf("%s", Help)
	case "list":
		u.list()
	case "status":
		if err := u.c.SetStatus(cmd.Status); err != nil {
			u.printf("error: %v", err)
			return false
		}
		u.m.Status = cmd.Status
		u.printf("presence: %s", cmd.Status)
	default:
		u.send(cmd)
	}
	return false
}

func (u *ui) list() {
	conn := "offline"
	if u.m.Connected {
		conn = "online"
	}
	bridge := ""
	if u.m.Bridge != "" {
		bridge = ", bridge " + u.m.Bridge
	}
	u.printf("%s: %s, presence %s%s", u.m.ID, conn, u.m.Status, bridge)
	pages := u.m.Pages()
	if len(pages) == 0 {
		u.printf("no pages")
	}
	for _, e := range pages {
		u.printf("%s", Describe(e))
	}
}

func (u *ui) send(cmd Command) {
	e, err := u.m.Lookup(cmd.N)
	if err != nil {
		u.printf("error: %v", err)
		return
	}
	alert := e.Page.Alert
	var sent protocol.PagerCmd
	switch cmd.Op {
	case "claim":
		sent, err = u.c.Claim(alert)
	case "release":
		sent, err = u.c.Release(alert)
	case "resolve":
		if e.Page.Kind != "" && !protocol.Allowed(e.Page.Kind, cmd.Action) {
			u.printf("error: %s does not resolve %s; use one of %s", cmd.Action, e.Page.Kind, actionList(e.Page.Kind))
			return
		}
		sent, err = u.c.Resolve(alert, cmd.Action)
	}
	if err != nil {
		u.printf("error: %v", err)
		return
	}
	u.m.Sent(cmd.N, sent)
	u.printf("[%d] %s sent", cmd.N, sent.Action)
}
