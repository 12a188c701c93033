package serialport

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// A transcript records a serial session, one step a line, so that a
// session with real hardware becomes a test fixture (see
// devicestest.Line.Play):
//
//	# sco serial transcript v1
//	> "W\r"
//	< "\n01.234KG\r\nS00\r\x03"
//	! lost
//	! up
//
// ">" is what the host (driver) wrote, "<" what the device sent, in the
// chunks the reads returned, as Go-quoted strings; "! lost" and "! up"
// are the port hanging up and coming back. Lines starting with # are
// comments.
const transcriptHeader = "# sco serial transcript v1"

// Step is one line of a transcript.
type Step struct {
	Dir  byte   // '>' host to device, '<' device to host, '!' connection
	Data string // bytes for '>' and '<'; "lost" or "up" for '!'
}

func (s Step) String() string {
	if s.Dir == '!' {
		return "! " + s.Data
	}
	return string(s.Dir) + " " + strconv.Quote(s.Data)
}

// ParseTranscript reads a transcript; errors name the line.
func ParseTranscript(r io.Reader) ([]Step, error) {
	var steps []Step
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if len(line) < 3 || line[1] != ' ' {
			return nil, fmt.Errorf("serialport: transcript line %d: want \"> \", \"< \" or \"! \"", n)
		}
		st := Step{Dir: line[0]}
		switch st.Dir {
		case '>', '<':
			s, err := strconv.Unquote(line[2:])
			if err != nil {
				return nil, fmt.Errorf("serialport: transcript line %d: %w", n, err)
			}
			st.Data = s
		case '!':
			st.Data = line[2:]
			if st.Data != "lost" && st.Data != "up" {
				return nil, fmt.Errorf("serialport: transcript line %d: want \"! lost\" or \"! up\"", n)
			}
		default:
			return nil, fmt.Errorf("serialport: transcript line %d: unknown direction %q", n, st.Dir)
		}
		steps = append(steps, st)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("serialport: transcript: %w", err)
	}
	return steps, nil
}

// recorder writes a transcript; safe for concurrent use. A write error
// stops recording (it never disturbs the port).
type recorder struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

func newRecorder(w io.Writer) *recorder {
	if w == nil {
		return nil
	}
	r := &recorder{w: w}
	_, r.err = io.WriteString(w, transcriptHeader+"\n")
	return r
}

func (r *recorder) add(dir byte, data string) {
	if r == nil || (dir != '!' && data == "") {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		_, r.err = io.WriteString(r.w, Step{Dir: dir, Data: data}.String()+"\n")
	}
}
