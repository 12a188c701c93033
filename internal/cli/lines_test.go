package cli

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadLines(t *testing.T) {
	lines, errc := ReadLines(context.Background(), strings.NewReader("scan 1\n\nquit"))
	var got []string
	for l := range lines {
		got = append(got, l)
	}
	assert.Equal(t, []string{"scan 1", "", "quit"}, got)
	assert.NoError(t, <-errc)

	boom := errors.New("boom")
	lines, errc = ReadLines(context.Background(), io.MultiReader(strings.NewReader("a\n"), iotestErr{boom}))
	assert.Equal(t, "a", <-lines)
	_, ok := <-lines
	assert.False(t, ok)
	assert.ErrorIs(t, <-errc, boom)
}

// TestReadLinesStopsWithContext: a line read while ctx ends is not sent;
// the goroutine ends, and lines closes, without the input ending.
func TestReadLinesStopsWithContext(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	lines, errc := ReadLines(ctx, pr)
	_, err := io.WriteString(pw, "one\n") // returns once the reader has it
	require.NoError(t, err)
	cancel()
	assert.NoError(t, <-errc)
	_, ok := <-lines
	assert.False(t, ok, "nobody was receiving: the line is dropped")
}

type iotestErr struct{ err error }

func (r iotestErr) Read([]byte) (int, error) { return 0, r.err }
