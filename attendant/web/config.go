package web

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// Config is the web: block of the bridge config. The app is off when the
// block is absent.
type Config struct {
	// Listen is the address the app listens on: 0.0.0.0:8443.
	Listen string `yaml:"listen"`
	// CertFile and KeyFile are the TLS certificate and key, both or
	// neither; without them the app speaks plain HTTP (warned about at
	// start unless Listen is loopback).
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// Session is how long a sign-in lasts; 0 means DefaultSession.
	Session time.Duration `yaml:"session"`
}

// DefaultSession is a shift.
const DefaultSession = 12 * time.Hour

// Validate applies the defaults and checks the block; the error names
// the key at fault, under web.
func (c *Config) Validate() error {
	if c.Listen == "" {
		return errors.New("web.listen: required")
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("web.listen: %q is not host:port", c.Listen)
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return errors.New("web.cert_file, web.key_file: give both or neither")
	}
	if c.Session < 0 {
		return fmt.Errorf("web.session: %v must not be negative", c.Session)
	}
	if c.Session == 0 {
		c.Session = DefaultSession
	}
	if c.Session < time.Minute {
		return fmt.Errorf("web.session: %v is shorter than a minute", c.Session)
	}
	return nil
}

// TLS reports whether the app serves HTTPS.
func (c *Config) TLS() bool { return c.CertFile != "" }

// loopback reports whether addr (host:port) only listens on a loopback
// address. An empty host listens everywhere.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
