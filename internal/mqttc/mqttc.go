package mqttc

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// Config is the `mqtt:` block of a lane or bridge config.
type Config struct {
	Broker       string `yaml:"broker"`
	Username     string `yaml:"username"`
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	CAFile       string `yaml:"ca_file"`
	CertFile     string `yaml:"cert_file"`
	KeyFile      string `yaml:"key_file"`
	// InsecureSkipVerify is for lab brokers with self-signed certificates
	// and no CA at hand. Never in a store.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// DefaultBroker is used when Config.Broker is empty.
const DefaultBroker = "tcp://127.0.0.1:1883"

// Validate checks the block and returns an error naming the key at fault.
// Files named by the block must exist and be readable.
func (c *Config) Validate() error {
	if c.Broker == "" {
		c.Broker = DefaultBroker
	}
	u, err := url.Parse(c.Broker)
	if err != nil {
		return fmt.Errorf("mqtt.broker: %q is not a URL: %v", c.Broker, err)
	}
	switch u.Scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss":
	default:
		return fmt.Errorf("mqtt.broker: %q: scheme must be tcp://, ssl://, ws:// or wss://", c.Broker)
	}
	if u.Host == "" {
		return fmt.Errorf("mqtt.broker: %q has no host:port", c.Broker)
	}
	if c.Password != "" && c.PasswordFile != "" {
		return errors.New("mqtt: set password or password_file, not both")
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return errors.New("mqtt: cert_file and key_file go together")
	}
	for key, path := range map[string]string{"password_file": c.PasswordFile, "ca_file": c.CAFile, "cert_file": c.CertFile, "key_file": c.KeyFile} {
		if path == "" {
			continue
		}
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("mqtt.%s: %v", key, err)
		}
	}
	// TLS files with a clear-text scheme would be ignored by paho: the
	// password would cross the store network in clear text, silently.
	if !c.secure() {
		for key, set := range map[string]bool{"ca_file": c.CAFile != "", "cert_file": c.CertFile != "", "insecure_skip_verify": c.InsecureSkipVerify} {
			if set {
				return fmt.Errorf("mqtt.%s: set, but %s is not TLS (use ssl:// or wss://)", key, c.Broker)
			}
		}
	}
	if _, err := c.TLSConfig(); err != nil {
		return err
	}
	return nil
}

// secure reports whether the broker URL's scheme is a TLS one.
func (c *Config) secure() bool {
	for _, p := range []string{"ssl://", "tls://", "mqtts://", "wss://"} {
		if strings.HasPrefix(c.Broker, p) {
			return true
		}
	}
	return false
}

// ClientID is the MQTT client id for this config: the username when
// there is one (the shipped Mosquitto config enforces that anyway, with
// use_username_as_clientid), else fallback.
func (c *Config) ClientID(fallback string) string {
	if c.Username != "" {
		return c.Username
	}
	return fallback
}

// TLSConfig returns the TLS settings, or nil when the scheme is not a TLS
// one (Validate refuses TLS files with such a scheme).
func (c *Config) TLSConfig() (*tls.Config, error) {
	if !c.secure() {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // opt-in, documented
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mqtt.ca_file: %s holds no PEM certificate", c.CAFile)
		}
		cfg.RootCAs = pool
	}
	if c.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.cert_file/key_file: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// YAML is c as the `mqtt:` block of a lane or bridge config, at the top
// level: the broker and every other key that is set, values quoted. It
// parses back to c. The simulator writes its configs with it.
func (c *Config) YAML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mqtt:\n  broker: %q\n", c.Broker)
	for _, kv := range []struct{ key, val string }{
		{"username", c.Username}, {"password", c.Password}, {"password_file", c.PasswordFile},
		{"ca_file", c.CAFile}, {"cert_file", c.CertFile}, {"key_file", c.KeyFile},
	} {
		if kv.val != "" {
			fmt.Fprintf(&b, "  %s: %q\n", kv.key, kv.val)
		}
	}
	if c.InsecureSkipVerify {
		b.WriteString("  insecure_skip_verify: true\n")
	}
	return b.String()
}

func (c *Config) password() (string, error) {
	if c.PasswordFile == "" {
		return c.Password, nil
	}
	b, err := os.ReadFile(c.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("mqtt.password_file: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// Will is a last-will message.
type Will struct {
	Topic   string
	Payload []byte
	QoS     byte
	Retain  bool
}

// Options builds paho client options for clientID. onConnect runs after
// every (re)connect and is where the caller subscribes and re-publishes;
// it runs on a paho goroutine and must not block on a token from the same
// client for long. will may be nil.
func (c *Config) Options(clientID string, will *Will, onConnect paho.OnConnectHandler, onLost paho.ConnectionLostHandler) (*paho.ClientOptions, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	pw, err := c.password()
	if err != nil {
		return nil, err
	}
	tlsCfg, err := c.TLSConfig()
	if err != nil {
		return nil, err
	}
	o := paho.NewClientOptions().
		AddBroker(c.Broker).
		SetClientID(clientID).
		SetUsername(c.Username).
		SetPassword(pw).
		SetProtocolVersion(4). // MQTT 3.1.1, no silent fall-back to 3.1 hiding why a connect failed
		SetCleanSession(false).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(500 * time.Millisecond).
		SetMaxReconnectInterval(5 * time.Second).
		SetKeepAlive(10 * time.Second).
		SetPingTimeout(5 * time.Second).
		SetConnectTimeout(5 * time.Second).
		SetWriteTimeout(5 * time.Second).
		SetOrderMatters(false).
		SetOnConnectHandler(onConnect).
		SetConnectionLostHandler(onLost)
	if tlsCfg != nil {
		o.SetTLSConfig(tlsCfg)
	}
	if will != nil {
		o.SetBinaryWill(will.Topic, will.Payload, will.QoS, will.Retain)
	}
	return o, nil
}
