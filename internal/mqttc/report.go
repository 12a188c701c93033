package mqttc

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// DefaultReportEvery is the least time between two failure lines of a
// Reporter whose Every is zero.
const DefaultReportEvery = 30 * time.Second

// Reporter makes a client's connection attempts visible. paho retries a
// failed connect for ever and says nothing; a Reporter logs the first
// failure at once, with its reason (Reason) and that it retries, then at
// most one line per Every with the number of failed attempts, and a line
// when the client gets through after failing. At debug level it logs
// every attempt and every failure.
//
// Install it on the options with Watch, before paho.NewClient (which
// copies them). The zero value logs nothing; set Log, OnFail or both.
type Reporter struct {
	// Log gets the lines; nil discards them.
	Log *slog.Logger
	// OnFail, when set, is called with each failure line that is logged
	// (same rate limit), for a user interface: a pager shows it.
	OnFail func(msg string)
	// Every is the least time between two failure lines; 0 means
	// DefaultReportEvery.
	Every time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu        sync.Mutex
	broker    string
	connected bool
	failures  int       // failed attempts since the last connect
	lastLine  time.Time // when the last failure line was logged
	reason    string    // of the last failure
}

// Watch installs r on o: r hears of every connection attempt, failure,
// connect and loss. It warns at once when o skips verifying the broker's
// certificate (insecure_skip_verify).
func (r *Reporter) Watch(o *paho.ClientOptions) {
	r.mu.Lock()
	if len(o.Servers) > 0 {
		r.broker = o.Servers[0].String()
	}
	r.mu.Unlock()
	if o.TLSConfig != nil && o.TLSConfig.InsecureSkipVerify {
		r.log().Warn("mqtt: insecure_skip_verify is set: the broker's certificate is not checked, so anyone on the network can pose as the broker; for a lab only, never in a store",
			"broker", r.broker)
	}
	o.SetConnectionNotificationHandler(func(_ paho.Client, n paho.ConnectionNotification) { r.Notify(n) })
}

// Notify takes one paho connection notification. Watch routes them here;
// tests call it directly.
func (r *Reporter) Notify(n paho.ConnectionNotification) {
	switch n := n.(type) {
	case paho.ConnectionNotificationConnecting:
		r.log().Debug("mqtt: connecting", "broker", r.brokerName(), "reconnect", n.IsReconnect, "attempt", n.Attempt+1)
	case paho.ConnectionNotificationFailed:
		r.failed(n.Reason)
	case paho.ConnectionNotificationConnected:
		r.up()
	case paho.ConnectionNotificationLost:
		r.mu.Lock()
		r.connected = false
		r.mu.Unlock()
	}
}

func (r *Reporter) failed(err error) {
	reason := Reason(err)
	r.mu.Lock()
	now := r.now()
	r.connected = false
	r.failures++
	r.reason = reason
	every := r.Every
	if every <= 0 {
		every = DefaultReportEvery
	}
	due := r.lastLine.IsZero() || now.Sub(r.lastLine) >= every
	failures, broker := r.failures, r.broker
	if due {
		r.lastLine = now
	}
	r.mu.Unlock()

	log := r.log()
	log.Debug("mqtt: connect failed", "broker", broker, "reason", reason, "err", err)
	if !due {
		return
	}
	msg := fmt.Sprintf("mqtt: cannot connect to %s: %s; retrying", broker, reason)
	if failures > 1 {
		msg = fmt.Sprintf("mqtt: cannot connect to %s: %s; retrying (%d failed attempts)", broker, reason, failures)
	}
	log.Warn(msg, "broker", broker, "reason", reason, "err", err, "failures", failures)
	if r.OnFail != nil {
		r.OnFail(msg)
	}
}

func (r *Reporter) up() {
	r.mu.Lock()
	failures, broker := r.failures, r.broker
	r.connected = true
	r.failures = 0
	r.lastLine = time.Time{}
	r.reason = ""
	r.mu.Unlock()
	if failures > 0 {
		r.log().Info(fmt.Sprintf("mqtt: connected to %s after %d failed attempts", broker, failures), "broker", broker, "failures", failures)
		return
	}
	r.log().Debug("mqtt: connected", "broker", broker)
}

// Status says in a few words how the connection stands, for a status
// line: "connected to tcp://...", "connecting to tcp://...", or "cannot
// connect to tcp://...: not authorised ...; retrying (3 failed attempts)".
func (r *Reporter) Status() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.connected:
		return "connected to " + r.broker
	case r.failures == 0:
		return "connecting to " + r.broker
	}
	return fmt.Sprintf("cannot connect to %s: %s; retrying (%d failed attempts)", r.broker, r.reason, r.failures)
}

func (r *Reporter) brokerName() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.broker
}

func (r *Reporter) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func (r *Reporter) log() *slog.Logger {
	if r.Log == nil {
		return discard
	}
	return r.Log
}

// Reason says in words why a connect failed, as a store's IT would
// look for it: the broker's answer (not authorised, bad username or
// password, ...), the network (refused, unreachable, timed out, unknown
// host), or TLS (unknown CA, wrong host name, a client certificate the
// broker refused).
func Reason(err error) string {
	if err == nil {
		return "no error"
	}
	switch {
	case errors.Is(err, packets.ErrorRefusedNotAuthorised):
		return "not authorised (wrong username or password, or a user the broker does not know)"
	case errors.Is(err, packets.ErrorRefusedBadUsernameOrPassword):
		return "bad username or password"
	case errors.Is(err, packets.ErrorRefusedIDRejected):
		return "client id rejected"
	case errors.Is(err, packets.ErrorRefusedServerUnavailable):
		return "broker unavailable"
	case errors.Is(err, packets.ErrorRefusedBadProtocolVersion):
		return "broker refused MQTT 3.1.1"
	}
	var unknownCA x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var header tls.RecordHeaderError
	var dns *net.DNSError
	var op *net.OpError
	var ne net.Error
	switch {
	case errors.As(err, &unknownCA):
		return "TLS: the broker's certificate is not signed by a CA we trust (check mqtt.ca_file)"
	case errors.As(err, &host):
		return "TLS: the broker's certificate is not for this host name (" + host.Error() + ")"
	case errors.As(err, &invalid):
		return "TLS: the broker's certificate is not valid (" + invalid.Error() + ")"
	case errors.As(err, &header):
		return "TLS: the broker does not speak TLS on this port"
	case errors.As(err, &op) && op.Op == "remote error":
		// A TLS alert from the broker, e.g. "tls: certificate required"
		// or "tls: bad certificate".
		return "TLS: the broker refused the handshake (" + op.Err.Error() + "; check mqtt.cert_file and key_file)"
	case errors.As(err, &dns):
		return "unknown host (" + dns.Name + ")"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (is the broker running, and is this its port?)"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "broker unreachable (network)"
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out (broker unreachable, or a firewall drops the traffic)"
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "the broker closed the connection during the handshake (plain MQTT on a TLS port, or a client certificate missing or refused)"
	}
	return "network error: " + err.Error()
}
