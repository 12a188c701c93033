package bridge

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/attendant/web"
	"github.com/sco-project/sco/internal/mqttc"
)

// Config is the bridge config file (bridge.yaml): what the dispatcher
// needs (store, roster, escalation, zones, limits: attendant.Config,
// inline in the file) and what the running bridge needs (the broker,
// data_dir, the web app, metrics, history).
type Config struct {
	attendant.Config `yaml:",inline"`
	MQTT             mqttc.Config `yaml:"mqtt"`
	DataDir          string       `yaml:"data_dir"`
	// Web is the attendant app and store console (package attendant/web
	// serves it); nil (no web: block) means off.
	Web *web.Config `yaml:"web"`
	// MetricsListen is where /metrics is served when there is no web:
	// block; "" means nowhere.
	MetricsListen string `yaml:"metrics_listen"`
	// History is how long intervention records are kept; 0 takes
	// DefaultHistory.
	History Period `yaml:"history"`
}

// DefaultHistory is how long intervention records are kept when history
// is not set.
const DefaultHistory = Period(90 * 24 * time.Hour)

// Period is a duration in the config that may also be written in days:
// 90d, 36h, 90m.
type Period time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (p *Period) UnmarshalYAML(n *yaml.Node) error {
	d, err := parsePeriod(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*p = Period(d)
	return nil
}

// Set implements flag.Value: a period on the command line (-since 7d).
func (p *Period) Set(s string) error {
	d, err := parsePeriod(s)
	if err != nil {
		return err
	}
	*p = Period(d)
	return nil
}

// String implements flag.Value: a Go duration without zero seconds and
// minutes at its end (24h, 1h30m, 30m), as the usage shows a default.
func (p *Period) String() string {
	s := time.Duration(*p).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func parsePeriod(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*365 {
			return 0, fmt.Errorf("%q is not a number of days (90d)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (90d, 36h)", s)
	}
	return d, nil
}

// LoadConfig reads and validates a bridge config. Unknown keys are an
// error; every error names the file and the key at fault. Relative paths
// in it (data_dir, the mqtt: files, web.cert_file and web.key_file) are
// relative to the file's directory, as in the lane config.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bridge: config: %w", err)
	}
	c, err := decode(b)
	if err == nil {
		c.resolvePaths(filepath.Dir(path))
		err = c.Validate()
	}
	if err != nil {
		return nil, fmt.Errorf("bridge: %s: %w", path, err)
	}
	return c, nil
}

// resolvePaths anchors the relative paths of the config at dir.
func (c *Config) resolvePaths(dir string) {
	paths := []*string{&c.DataDir, &c.MQTT.PasswordFile, &c.MQTT.CAFile, &c.MQTT.CertFile, &c.MQTT.KeyFile}
	if c.Web != nil {
		paths = append(paths, &c.Web.CertFile, &c.Web.KeyFile)
	}
	for _, p := range paths {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
}

// unknownField rewrites yaml.v3's "field x not found in type y" in the
// words the lane config uses.
var unknownField = regexp.MustCompile(`field (\S+) not found in type \S+`)

// ParseConfig parses and validates a bridge config from YAML; relative
// paths stay relative to the working directory (LoadConfig anchors them
// at the file).
func ParseConfig(b []byte) (*Config, error) {
	c, err := decode(b)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// decode parses a bridge config without checking it.
func decode(b []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty config")
		}
		var te *yaml.TypeError
		if errors.As(err, &te) {
			// One line per error, as the operator sees it on stderr.
			msgs := make([]string, len(te.Errors))
			for i, e := range te.Errors {
				msgs[i] = unknownField.ReplaceAllString(e, "unknown key $1")
			}
			return nil, errors.New(strings.Join(msgs, "; "))
		}
		return nil, err
	}
	return &c, nil
}

// Validate applies the defaults and checks the config: the store, the
// roster, the ladder and the zones (attendant.Config.Validate), then
// data_dir and the broker. The error names the key at fault.
func (c *Config) Validate() error {
	if err := c.Config.Validate(); err != nil {
		return err
	}
	if c.DataDir == "" {
		return errors.New("data_dir: required")
	}
	if c.Web != nil {
		if err := c.Web.Validate(); err != nil {
			return err
		}
	}
	if c.MetricsListen != "" {
		if err := checkListen(c.MetricsListen); err != nil {
			return fmt.Errorf("metrics_listen: %w", err)
		}
	}
	switch {
	case c.History < 0:
		return fmt.Errorf("history: %v must not be negative", time.Duration(c.History))
	case c.History == 0:
		c.History = DefaultHistory
	}
	return c.MQTT.Validate()
}

// checkListen checks a host:port to listen on.
func checkListen(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: port %q is not a number from 0 to 65535", addr, port)
	}
	return nil
}

// Warnings are what -check-config prints about a valid config: zone pairs
// without a walking time (attendant.Config.MissingWalks), and a web app
// in plain HTTP off loopback.
func (c *Config) Warnings() []string {
	w := c.MissingWalks()
	if c.Web != nil && !c.Web.TLS() && !loopback(c.Web.Listen) {
		w = append(w, fmt.Sprintf("web: plain HTTP on %s: PINs and sessions cross the network in clear (give cert_file and key_file)", c.Web.Listen))
	}
	return w
}

// loopback reports whether a listen address is on loopback only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
