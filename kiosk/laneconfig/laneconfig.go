// Package laneconfig reads a lane's config file (lane.yaml): the
// contract's keys plus the optional gpio, barcode and policy settle keys.
// Unknown keys are errors naming their line; defaults are applied in one
// place (the serial line and protocol defaults come from the scale and
// scanner drivers, the policy defaults from the engine); every problem is
// reported at once, one line each, naming the file and the key.
//
// It is kept out of package kiosk so that the engine imports no YAML (nor
// anything else that does I/O).
package laneconfig

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sco-project/sco/devices/barcode"
	"github.com/sco-project/sco/devices/scale"
	"github.com/sco-project/sco/devices/scanner"
	"github.com/sco-project/sco/devices/serialport"
	"github.com/sco-project/sco/internal/mqttc"
	"github.com/sco-project/sco/kiosk"
	"github.com/sco-project/sco/protocol"
)

// Config is the lane config (lane.yaml), exactly the `Lane config` of the
// external contract plus the optional gpio, barcode and policy settle
// keys. Load fills in the defaults; the zero value of every field
// is documented next to it.
type Config struct {
	Store   string        `yaml:"store"`    // required, [a-z0-9-]+
	Lane    string        `yaml:"lane"`     // required, [a-z0-9-]+
	Zone    string        `yaml:"zone"`     // required, [a-z0-9-]+
	DataDir string        `yaml:"data_dir"` // "" means /var/lib/sco/{lane}; relative to the config file
	Catalog string        `yaml:"catalog"`  // required; relative to the config file
	MQTT    mqttc.Config  `yaml:"mqtt"`
	Scanner ScannerConfig `yaml:"scanner"`
	Scale   ScaleConfig   `yaml:"scale"`
	GPIO    GPIOConfig    `yaml:"gpio"`
	UI      UIConfig      `yaml:"ui"`
	Policy  kiosk.Policy  `yaml:"policy"`
	Barcode BarcodeConfig `yaml:"barcode"`

	// Path is the file the config was loaded from ("" when built in
	// code).
	Path string `yaml:"-"`
}

// SerialConfig is the line setting of a serial device. Zero values take
// the device's defaults (see ScannerConfig and ScaleConfig).
type SerialConfig struct {
	Baud     int    `yaml:"baud"`
	DataBits int    `yaml:"data_bits"` // 5..8
	Parity   string `yaml:"parity"`    // none | even | odd
	StopBits int    `yaml:"stop_bits"` // 1 | 2
}

// ScannerConfig is the `scanner:` block. Port or USB must be set.
// Defaults come from the driver: scanner.DefaultLine (9600 8N1) and
// scanner.DefaultModel (generic).
type ScannerConfig struct {
	// Port is the device path (/dev/ttyUSB0, /dev/serial/by-id/...,
	// a pseudo-terminal).
	Port string `yaml:"port"`
	// USB finds the port by USB id instead: "VID:PID" or
	// "VID:PID:SERIAL" (hex, as lsusb prints them).
	USB          string `yaml:"usb"`
	SerialConfig `yaml:",inline"`
	// Model selects the enable/disable commands: one of
	// scanner.ModelNames (generic, without commands; datalogic, honeywell,
	// zebra).
	Model string `yaml:"model"`
	// Enable and Disable override the model's commands (Go-escaped
	// strings such as "E" or "\x16U\r").
	Enable  string `yaml:"enable"`
	Disable string `yaml:"disable"`
	// Prefix is stripped from each scan when present (Go-escaped).
	Prefix string `yaml:"prefix"`
	// LRC says the scanner sends an LRC byte after ETX (STX/ETX framing).
	LRC bool `yaml:"lrc"`
}

// ScaleConfig is the `scale:` block. Defaults come from the driver:
// protocol scale.DefaultProtocol (nci), the line setting
// scale.DefaultLine gives for the protocol (nci and toledo 9600 7E1, sics
// 9600 8N1), poll every scale.DefaultPollInterval (100ms).
type ScaleConfig struct {
	Port         string `yaml:"port"`
	USB          string `yaml:"usb"`
	Protocol     string `yaml:"protocol"` // scale.Protocols: nci | toledo | sics
	SerialConfig `yaml:",inline"`
	// Unit is what a Toledo 8217 sends its weights in (its replies name
	// no unit): kg (default), lb, g or oz. NCI and SICS replies carry
	// their unit and ignore it.
	Unit         string        `yaml:"unit"`
	PollInterval time.Duration `yaml:"poll_interval"`
}

// GPIOConfig names the lane light and help button pins (periph pin names
// such as GPIO17). Every pin is optional: a lane without a light or a
// button runs without one.
type GPIOConfig struct {
	Light struct {
		Green  string `yaml:"green"`
		Yellow string `yaml:"yellow"`
		Red    string `yaml:"red"`
	} `yaml:"light"`
	Help string `yaml:"help"`
	// ActiveLow inverts the light outputs (relay boards that switch on
	// low).
	ActiveLow bool `yaml:"active_low"`
	// HelpActiveHigh: the pressed button reads high (pull-down). The
	// default is a switch to ground with the pull-up on.
	HelpActiveHigh bool `yaml:"help_active_high"`
	// Debounce is how long the button must hold a new level to count;
	// 0 means 50ms.
	Debounce time.Duration `yaml:"debounce"`
}

// UIConfig is the `ui:` block: the shopper screen and the local API.
// Listen defaults to 127.0.0.1:8090. Off loopback a token is required
// (Token or TokenFile): state-changing requests carry it as
// "Authorization: Bearer <token>".
type UIConfig struct {
	Listen string `yaml:"listen"`
	// Token is the local API's bearer token, at least MinTokenLen
	// characters; or TokenFile names a file whose first line it is
	// (relative to the config file). Not both.
	Token     string `yaml:"token"`
	TokenFile string `yaml:"token_file"`
}

// MinTokenLen is the shortest ui.token accepted.
const MinTokenLen = 16

// BearerToken returns the local API's token: Token, or the first line of
// TokenFile; "" when neither is set.
func (u UIConfig) BearerToken() (string, error) {
	if u.TokenFile == "" {
		return u.Token, nil
	}
	b, err := os.ReadFile(u.TokenFile)
	if err != nil {
		return "", fmt.Errorf("ui.token_file: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimRight(line, "\r"), nil
}

// Loopback reports whether listen (host:port) only listens on this
// machine: localhost or a loopback address. An empty host listens on
// every address.
func Loopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// BarcodeConfig holds the store's variable-measure barcode layouts
// (EAN-13 prefixes 20-29 and UPC number system 2). Empty means
// barcode.DefaultLayouts.
type BarcodeConfig struct {
	Layouts []barcode.Layout `yaml:"layouts"`
}

// MaxIDLen bounds store, lane and zone ids: they are topic levels, and a
// lane id is the first part of the lane's session and alert ids, which
// must stay within 128 bytes.
const MaxIDLen = 64

// Default values applied by Load that no driver owns.
const (
	DefaultListen      = "127.0.0.1:8090"
	DefaultDataDirRoot = "/var/lib/sco"
	DefaultDebounce    = 50 * time.Millisecond
)

// Load reads, defaults and validates a lane config. Every problem
// found is reported, one per line, each naming the file and the key (or
// line) at fault.
func Load(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(raw, path)
}

// Parse is Load on bytes already read; path names the file in errors
// and anchors relative paths.
func Parse(raw []byte, path string) (*Config, error) {
	name := filepath.Base(path)
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("%s: empty config", name)
	}
	var problems []string
	unknown := unknownKeys(root.Content[0], reflect.TypeOf(Config{}), "")
	problems = append(problems, unknown...)
	problems = append(problems, explicitZeros(root.Content[0])...)

	c := &Config{Path: path}
	typeErrs := 0
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		for _, e := range te.Errors {
			if strings.Contains(e, "not found in type") {
				continue // reported by unknownKeys with its full key
			}
			problems = append(problems, e)
			typeErrs++
		}
	}
	if typeErrs == 0 {
		// Unknown keys do not hide the other problems: store IT fixes
		// the whole file in one round.
		c.applyDefaults()
		problems = append(problems, c.validate()...)
	}
	if len(problems) > 0 {
		errs := make([]error, len(problems))
		for i, p := range problems {
			errs[i] = fmt.Errorf("%s: %s", name, p)
		}
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// zeroMeansDefault lists the keys whose zero value applyDefaults replaces
// with a default, and what a value must be. Written out as 0 (or 0s), such
// a key would silently become its default, which is not what store IT
// wrote: it is an error instead ("policy.bag_prompts: must be >= 1, got
// 0"). Leave the key out for the default.
var zeroMeansDefault = []struct {
	key, want string
	dur       bool // a duration ("0" is a YAML type error of its own)
}{
	{"scanner.baud", "a baud rate (>= 50)", false},
	{"scanner.data_bits", "5, 6, 7 or 8", false},
	{"scanner.stop_bits", "1 or 2", false},
	{"scale.baud", "a baud rate (>= 50)", false},
	{"scale.data_bits", "5, 6, 7 or 8", false},
	{"scale.stop_bits", "1 or 2", false},
	{"scale.poll_interval", ">= 20ms", true},
	{"gpio.debounce", "> 0 (at most 1s)", true},
	{"policy.unknown_item_attempts", ">= 1", false},
	{"policy.bag_timeout", "> 0", true},
	{"policy.bag_prompts", ">= 1", false},
	{"policy.mismatch_attempts", ">= 1", false},
	{"policy.default_tolerance_g", ">= 1", false},
	{"policy.unexpected_grace", "> 0", true},
	{"policy.removed_grace", "> 0", true},
	{"policy.device_grace", "> 0", true},
	{"policy.settle_readings", ">= 1", false},
	{"policy.settle_tolerance_g", ">= 1", false},
}

// explicitZeros lists the keys of zeroMeansDefault written out as zero.
func explicitZeros(root *yaml.Node) []string {
	var out []string
	for _, z := range zeroMeansDefault {
		n := lookupKey(root, strings.Split(z.key, ".")...)
		if n == nil || n.Kind != yaml.ScalarNode || !isZero(n.Value, z.dur) {
			continue
		}
		out = append(out, fmt.Sprintf("%s: must be %s, got %s", z.key, z.want, n.Value))
	}
	return out
}

// lookupKey finds the value at path in a YAML mapping, or nil.
func lookupKey(n *yaml.Node, path ...string) *yaml.Node {
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

// isZero says whether a scalar is a zero number, or for a duration a
// zero duration ("0s", "0ms").
func isZero(v string, dur bool) bool {
	i, err := strconv.ParseInt(v, 0, 64)
	if !dur {
		return err == nil && i == 0
	}
	if err == nil {
		return false // a bare number: YAML refuses it as a duration
	}
	d, err := time.ParseDuration(v)
	return err == nil && d == 0
}

// unknownKeys walks a YAML mapping against the struct type t and lists
// the keys t has no field for, with their line and dotted path.
func unknownKeys(n *yaml.Node, t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		var out []string
		for i, item := range n.Content {
			out = append(out, unknownKeys(item, t.Elem(), fmt.Sprintf("%s[%d]", prefix, i))...)
		}
		return out
	case n.Kind != yaml.MappingNode || t.Kind() != reflect.Struct:
		return nil
	}
	fields := map[string]reflect.Type{}
	collectFields(t, fields)
	var out []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if prefix != "" {
			key = prefix + "." + k.Value
		}
		ft, ok := fields[k.Value]
		if !ok {
			out = append(out, fmt.Sprintf("line %d: unknown key %s", k.Line, key))
			continue
		}
		out = append(out, unknownKeys(v, ft, key)...)
	}
	return out
}

func collectFields(t reflect.Type, into map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			collectFields(f.Type, into)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		into[name] = f.Type
	}
}

// applyDefaults is the one place where defaults are set.
func (c *Config) applyDefaults() {
	dir := filepath.Dir(c.Path)
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	if c.DataDir == "" && c.Lane != "" {
		c.DataDir = filepath.Join(DefaultDataDirRoot, c.Lane)
	}
	c.DataDir = abs(c.DataDir)
	c.Catalog = abs(c.Catalog)
	c.MQTT.PasswordFile = abs(c.MQTT.PasswordFile)
	c.MQTT.CAFile = abs(c.MQTT.CAFile)
	c.MQTT.CertFile = abs(c.MQTT.CertFile)
	c.MQTT.KeyFile = abs(c.MQTT.KeyFile)
	c.UI.TokenFile = abs(c.UI.TokenFile)
	if c.MQTT.Broker == "" {
		c.MQTT.Broker = mqttc.DefaultBroker
	}
	if c.UI.Listen == "" {
		c.UI.Listen = DefaultListen
	}

	if c.Scanner.Model == "" {
		c.Scanner.Model = scanner.DefaultModel
	}
	c.Scanner.SerialConfig = c.Scanner.SerialConfig.withDefaults(scanner.DefaultLine())

	if c.Scale.Protocol == "" {
		c.Scale.Protocol = scale.DefaultProtocol
	}
	c.Scale.SerialConfig = c.Scale.SerialConfig.withDefaults(scale.DefaultLine(c.Scale.Protocol))
	if c.GPIO.Debounce == 0 {
		c.GPIO.Debounce = DefaultDebounce
	}
	if c.Scale.Unit == "" {
		c.Scale.Unit = scale.Kilograms.String()
	}
	if c.Scale.PollInterval == 0 {
		c.Scale.PollInterval = scale.DefaultPollInterval
	}
	c.Policy = c.Policy.WithDefaults()
	if len(c.Barcode.Layouts) == 0 {
		c.Barcode.Layouts = barcode.DefaultLayouts()
	}
}

// withDefaults fills the zero fields of s from a driver's default line.
func (s SerialConfig) withDefaults(d serialport.Opts) SerialConfig {
	if s.Baud == 0 {
		s.Baud = d.Baud
	}
	if s.DataBits == 0 {
		s.DataBits = d.DataBits
	}
	if s.Parity == "" {
		s.Parity = d.Parity
	}
	if s.StopBits == 0 {
		s.StopBits = d.StopBits
	}
	return s
}

var usbRe = regexp.MustCompile(`^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}(:[^:\s]+)?$`)

// validate lists every problem, each starting with the key at fault.
func (c *Config) validate() []string {
	var p []string
	add := func(key, format string, args ...any) {
		p = append(p, key+": "+fmt.Sprintf(format, args...))
	}
	for key, v := range map[string]string{"store": c.Store, "lane": c.Lane, "zone": c.Zone} {
		switch {
		case v == "":
			add(key, "is required")
		case len(v) > MaxIDLen:
			add(key, "is %d characters, at most %d", len(v), MaxIDLen)
		case !protocol.ValidID(v):
			add(key, "%q must be lower-case letters, digits and '-'", v)
		}
	}
	if c.Catalog == "" {
		add("catalog", "is required (the catalogue CSV file)")
	}
	if err := c.MQTT.Validate(); err != nil {
		p = append(p, err.Error())
	}

	port := func(block, port, usb string) {
		if port == "" && usb == "" {
			add(block+".port", "is required (or %s.usb)", block)
		}
		if usb != "" && !usbRe.MatchString(usb) {
			add(block+".usb", "%q is not VID:PID or VID:PID:SERIAL", usb)
		}
	}
	oneOf := func(key, v string, set []string) {
		if !slices.Contains(set, v) {
			add(key, "%q is not %s", v, orList(set))
		}
	}

	port("scanner", c.Scanner.Port, c.Scanner.USB)
	oneOf("scanner.model", c.Scanner.Model, scanner.ModelNames())
	for key, v := range map[string]string{"scanner.enable": c.Scanner.Enable, "scanner.disable": c.Scanner.Disable, "scanner.prefix": c.Scanner.Prefix} {
		if _, err := Unescape(v); err != nil {
			add(key, "%v", err)
		}
	}
	p = append(p, c.Scanner.SerialConfig.validate("scanner")...)

	port("scale", c.Scale.Port, c.Scale.USB)
	oneOf("scale.protocol", c.Scale.Protocol, scale.Protocols())
	p = append(p, c.Scale.SerialConfig.validate("scale")...)
	oneOf("scale.unit", c.Scale.Unit, scale.Units())
	if c.Scale.PollInterval < 20*time.Millisecond {
		add("scale.poll_interval", "%v is too short (at least 20ms)", c.Scale.PollInterval)
	}

	if c.GPIO.Debounce < 0 || c.GPIO.Debounce > time.Second {
		add("gpio.debounce", "%v is not between 0 and 1s", c.GPIO.Debounce)
	}
	if _, _, err := net.SplitHostPort(c.UI.Listen); err != nil {
		add("ui.listen", "%q is not host:port", c.UI.Listen)
	}
	p = append(p, c.UI.validate()...)
	if err := c.Policy.Validate(); err != nil {
		p = append(p, strings.TrimPrefix(err.Error(), "kiosk: "))
	}
	for i := range c.Barcode.Layouts {
		if err := c.Barcode.Layouts[i].Validate(); err != nil {
			add(fmt.Sprintf("barcode.layouts[%d]", i), "%s", strings.TrimPrefix(err.Error(), "barcode: "))
		}
	}
	return p
}

// validate checks the token: set when the screen listens off loopback,
// long enough, and from one place.
func (u UIConfig) validate() []string {
	if u.Token != "" && u.TokenFile != "" {
		return []string{"ui.token: set ui.token or ui.token_file, not both"}
	}
	tok, err := u.BearerToken()
	switch {
	case err != nil:
		return []string{err.Error()}
	case tok == "" && u.TokenFile != "":
		return []string{fmt.Sprintf("ui.token_file: %s is empty", u.TokenFile)}
	case tok == "" && !Loopback(u.Listen):
		return []string{fmt.Sprintf("ui.token: is required when ui.listen (%s) is not a loopback address (or ui.token_file)", u.Listen)}
	case tok != "" && len(tok) < MinTokenLen:
		return []string{fmt.Sprintf("ui.token: %d characters is too short (at least %d; openssl rand -hex 16 makes one)", len(tok), MinTokenLen)}
	case strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return []string{"ui.token: has a space or a control character"}
	}
	return nil
}

func (s SerialConfig) validate(block string) []string {
	var p []string
	if s.Baud < 50 || s.Baud > 4000000 {
		p = append(p, fmt.Sprintf("%s.baud: %d is not a baud rate", block, s.Baud))
	}
	if s.DataBits < 5 || s.DataBits > 8 {
		p = append(p, fmt.Sprintf("%s.data_bits: %d is not 5, 6, 7 or 8", block, s.DataBits))
	}
	if !slices.Contains([]string{"none", "even", "odd"}, s.Parity) {
		p = append(p, fmt.Sprintf("%s.parity: %q is not none, even or odd", block, s.Parity))
	}
	if s.StopBits != 1 && s.StopBits != 2 {
		p = append(p, fmt.Sprintf("%s.stop_bits: %d is not 1 or 2", block, s.StopBits))
	}
	return p
}

func orList(set []string) string {
	if len(set) == 1 {
		return set[0]
	}
	return strings.Join(set[:len(set)-1], ", ") + " or " + set[len(set)-1]
}

// Unescape decodes a Go-escaped command string from the config ("E",
// "\x16U\r").
func Unescape(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		if i+1 >= len(s) {
			return nil, fmt.Errorf("%q ends in a lone backslash", s)
		}
		i++
		switch s[i] {
		case 'r':
			out = append(out, '\r')
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case '\\':
			out = append(out, '\\')
		case 'x':
			if i+2 >= len(s) {
				return nil, fmt.Errorf("%q: \\x needs two hex digits", s)
			}
			var b byte
			if _, err := fmt.Sscanf(s[i+1:i+3], "%02x", &b); err != nil {
				return nil, fmt.Errorf("%q: \\x%s is not a hex byte", s, s[i+1:i+3])
			}
			out = append(out, b)
			i += 2
		default:
			return nil, fmt.Errorf("%q: unknown escape \\%c", s, s[i])
		}
	}
	return out, nil
}
