//go:build unix

package cli

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSignalEndsContext sends the test process SIGTERM: Run's context
// ends instead of the process.
func TestSignalEndsContext(t *testing.T) {
	started := make(chan struct{})
	c := &Command{Name: "d", Run: func(ctx context.Context, _ *Env) error {
		close(started)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(10 * time.Second):
			return errors.New("no signal seen")
		}
	}}
	done := make(chan int, 1)
	go func() { done <- c.Execute(context.Background(), nil, Stdio{}) }()
	<-started
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGTERM))
	assert.Equal(t, ExitOK, <-done)
}
