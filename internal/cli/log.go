package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// NewLogger returns a logger that writes to w in format ("text" or
// "json") the records at level and above ("debug", "info", "warn",
// "error"); level "off" discards everything.
func NewLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	lv, off, err := parseLevel(level)
	if err != nil {
		return nil, fmt.Errorf("-log-level: %w", err)
	}
	if err := checkFormat(format); err != nil {
		return nil, fmt.Errorf("-log-format: %w", err)
	}
	if off {
		return slog.New(slog.DiscardHandler), nil
	}
	o := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, o)), nil
	}
	return slog.New(slog.NewTextHandler(w, o)), nil
}

func parseLevel(s string) (lv slog.Level, off bool, err error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, false, nil
	case "info":
		return slog.LevelInfo, false, nil
	case "warn":
		return slog.LevelWarn, false, nil
	case "error":
		return slog.LevelError, false, nil
	case "off":
		return 0, true, nil
	}
	return 0, false, fmt.Errorf("%q is not debug, info, warn, error or off", s)
}

func checkFormat(s string) error {
	if s != "text" && s != "json" {
		return fmt.Errorf("%q is not text or json", s)
	}
	return nil
}

// formatFlag and levelFlag check -log-format and -log-level as they are
// parsed, so that a bad value is a usage error like any bad flag.
type (
	formatFlag string
	levelFlag  string
)

func (f *formatFlag) String() string { return string(*f) }

func (f *formatFlag) Set(s string) error {
	if checkFormat(s) != nil {
		return errors.New("must be text or json")
	}
	*f = formatFlag(s)
	return nil
}

func (l *levelFlag) String() string { return string(*l) }

func (l *levelFlag) Set(s string) error {
	if _, _, err := parseLevel(s); err != nil {
		return errors.New("must be debug, info, warn, error or off")
	}
	*l = levelFlag(s)
	return nil
}
