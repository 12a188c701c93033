package main

import (
	"strings"
	"sync"
)

// syncBuf is an output buffer a test can wait on.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
	ch chan struct{}
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Write(p)
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
	return len(p), nil
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// changed returns a channel closed at the next write.
func (s *syncBuf) changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}
