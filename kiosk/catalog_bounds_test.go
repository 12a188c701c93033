package kiosk

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const header = "gtin,name,price_cents,weight_g,tolerance_g,flags\n"

// Names are bounded (they reach the screen and every pager), and so is
// every other field: a longer one is an error naming its line.
func TestCatalogFieldsAreBounded(t *testing.T) {
	name := strings.Repeat("n", MaxNameBytes)
	c, err := parse(t, header+"5000112637922,"+name+",89,355,15,\n", nil)
	require.NoError(t, err)
	require.Equal(t, 1, c.Len())

	for row, want := range map[string]string{
		"5000112637922," + name + "x,89,355,15,\n":                         "catalog: catalog.csv:2: name is 201 bytes, at most 200",
		"5000112637922,Cola,89,355,15," + strings.Repeat("|", 300) + "\n":  "catalog: catalog.csv:2: flags is 300 bytes, at most 256",
		"5000112637922,Cola,89," + strings.Repeat("0", 257) + "5,15,\n":    "catalog: catalog.csv:2: weight_g is 258 bytes, at most 256",
		"5000112637922,\"" + strings.Repeat("x", 5000) + "\",89,355,15,\n": "catalog: catalog.csv:2: longer than 4096 bytes",
	} {
		_, err := parse(t, header+row, nil)
		require.ErrorContains(t, err, want)
	}
}

// endless is a catalogue whose second line never ends (a 200 MB name, and
// more): it counts what was read of it.
type endless struct {
	head []byte
	read int
}

func (e *endless) Read(p []byte) (int, error) {
	n := copy(p, e.head)
	e.head = e.head[n:]
	for i := n; i < len(p); i++ {
		p[i] = 'x'
	}
	e.read += len(p)
	if e.read > 200<<20 {
		return len(p), io.EOF
	}
	return len(p), nil
}

// A line that never ends is refused on the line, after a few kilobytes
// read, not held in memory.
func TestCatalogHugeNameIsRefusedEarly(t *testing.T) {
	r := &endless{head: []byte(header + "5000112637922,")}
	_, err := ParseCatalog(r, "catalog.csv", nil, 20)
	require.EqualError(t, err, "catalog: catalog.csv:2: longer than 4096 bytes (a field of a catalogue is at most 256)")
	require.Less(t, r.read, 64<<10, "read %d bytes", r.read)
}
