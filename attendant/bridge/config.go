package bridge

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sco-project/sco/attendant"
	"github.com/sco-project/sco/internal/mqttc"
)

// Config is the bridge config file (bridge.yaml): what the dispatcher
// needs (store, roster, escalation, zones: attendant.Config, inline in
// the file) and what the running bridge needs (the broker, data_dir).
type Config struct {
	attendant.Config `yaml:",inline"`
	MQTT             mqttc.Config `yaml:"mqtt"`
	DataDir          string       `yaml:"data_dir"`
}

// LoadConfig reads and validates a bridge config. Unknown keys are an
// error; every error names the file and the key at fault.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bridge: config: %w", err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("bridge: %s: %w", path, err)
	}
	return c, nil
}

// unknownField rewrites yaml.v3's "field x not found in type y" in the
// words the lane config uses.
var unknownField = regexp.MustCompile(`field (\S+) not found in type \S+`)

// ParseConfig parses and validates a bridge config from YAML.
func ParseConfig(b []byte) (*Config, error) {
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
	if err := c.Validate(); err != nil {
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
	return c.MQTT.Validate()
}
