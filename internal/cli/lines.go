package cli

import (
	"bufio"
	"context"
	"io"
)

// ReadLines reads in line by line on its own goroutine, so that a command
// reading typed commands can also watch ctx. It sends each line on the
// first channel and closes it when in ends, or once ctx is done and a
// line waits to be sent. Before the close the second channel receives the
// read error (nil at the end of input or when ctx ended), so a receive
// from it after the close never blocks. A caller that stops on ctx need
// not wait for the close: the goroutine ends with the next line or the
// end of in.
func ReadLines(ctx context.Context, in io.Reader) (<-chan string, <-chan error) {
	lines, errc := make(chan string), make(chan error, 1)
	go func() {
		defer close(lines)
		r := bufio.NewScanner(in)
		for r.Scan() {
			select {
			case lines <- r.Text():
			case <-ctx.Done():
				errc <- nil
				return
			}
		}
		errc <- r.Err()
	}()
	return lines, errc
}
