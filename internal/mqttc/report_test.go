package mqttc_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/internal/mqttc"
)

// lines records what a logger was given.
type lines struct {
	mu  sync.Mutex
	got []slog.Record
}

func (l *lines) Enabled(context.Context, slog.Level) bool { return true }
func (l *lines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, r)
	return nil
}
func (l *lines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *lines) WithGroup(string) slog.Handler      { return l }

// take returns the lines at or above min logged since the last take, as
// "LEVEL message".
func (l *lines) take(min slog.Level) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.got {
		if r.Level >= min {
			out = append(out, r.Level.String()+" "+r.Message)
		}
	}
	l.got = nil
	return out
}

// errRefused is paho's error for a refused TCP connect.
var errRefused = fmt.Errorf("%w : %w", packets.ErrorNetworkError, &net.OpError{Op: "dial", Net: "tcp",
	Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}})

func newReporter(t *testing.T) (*mqttc.Reporter, *lines, *time.Time, *[]string) {
	t.Helper()
	l := &lines{}
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	var shown []string
	r := &mqttc.Reporter{Log: slog.New(l), Now: func() time.Time { return now }, OnFail: func(m string) { shown = append(shown, m) }}
	o := paho.NewClientOptions().AddBroker("tcp://127.0.0.1:1883")
	r.Watch(o)
	require.NotNil(t, o.OnConnectionNotification)
	return r, l, &now, &shown
}

// TestReporterRateLimits: the first failure is logged at once with its
// reason and the retry; later ones at most once per 30 s with the count;
// getting through after failures is logged too. Every attempt and
// failure is at debug level.
func TestReporterRateLimits(t *testing.T) {
	r, l, now, shown := newReporter(t)
	assert.Equal(t, "connecting to tcp://127.0.0.1:1883", r.Status())

	r.Notify(paho.ConnectionNotificationConnecting{Attempt: 0})
	r.Notify(paho.ConnectionNotificationFailed{Reason: packets.ErrorRefusedNotAuthorised})
	first := "mqtt: cannot connect to tcp://127.0.0.1:1883: not authorised (wrong username or password, or a user the broker does not know); retrying"
	assert.Equal(t, []string{"WARN " + first}, l.take(slog.LevelInfo))
	assert.Equal(t, []string{first}, *shown)

	// 60 more failures, one every 500 ms: the next line at 30 s.
	for i := 1; i <= 60; i++ {
		*now = now.Add(500 * time.Millisecond)
		r.Notify(paho.ConnectionNotificationConnecting{Attempt: i})
		r.Notify(paho.ConnectionNotificationFailed{Reason: packets.ErrorRefusedNotAuthorised})
	}
	got := l.take(slog.LevelDebug)
	var warns []string
	debug := 0
	for _, s := range got {
		if s[:4] == "WARN" {
			warns = append(warns, s)
		} else {
			debug++
		}
	}
	assert.Equal(t, []string{"WARN mqtt: cannot connect to tcp://127.0.0.1:1883: not authorised (wrong username or password, or a user the broker does not know); retrying (61 failed attempts)"}, warns,
		"at most one line per 30 s, with the count")
	assert.Equal(t, 2*60, debug, "every attempt and every failure at debug level")
	assert.Len(t, *shown, 2)
	assert.Contains(t, r.Status(), "cannot connect to tcp://127.0.0.1:1883: not authorised")
	assert.Contains(t, r.Status(), "(61 failed attempts)")

	r.Notify(paho.ConnectionNotificationConnected{})
	assert.Equal(t, []string{"INFO mqtt: connected to tcp://127.0.0.1:1883 after 61 failed attempts"}, l.take(slog.LevelInfo))
	assert.Equal(t, "connected to tcp://127.0.0.1:1883", r.Status())

	// Lost, then failing again: the first failure is logged at once.
	r.Notify(paho.ConnectionNotificationLost{Reason: io.EOF})
	*now = now.Add(time.Second)
	r.Notify(paho.ConnectionNotificationFailed{Reason: errRefused})
	assert.Equal(t, []string{"WARN mqtt: cannot connect to tcp://127.0.0.1:1883: connection refused (is the broker running, and is this its port?); retrying"}, l.take(slog.LevelInfo))

	// A connect with no failure before it is only a debug line.
	r.Notify(paho.ConnectionNotificationConnected{})
	l.take(slog.LevelInfo)
	r.Notify(paho.ConnectionNotificationLost{})
	r.Notify(paho.ConnectionNotificationConnected{})
	assert.Empty(t, l.take(slog.LevelInfo))
}

func TestReporterWarnsInsecureSkipVerify(t *testing.T) {
	l := &lines{}
	c := mqttc.Config{Broker: "ssl://127.0.0.1:8883", InsecureSkipVerify: true}
	o, err := c.Options("x", nil, nil, nil)
	require.NoError(t, err)
	(&mqttc.Reporter{Log: slog.New(l)}).Watch(o)
	got := l.take(slog.LevelWarn)
	require.Len(t, got, 1)
	assert.Contains(t, got[0], "insecure_skip_verify is set: the broker's certificate is not checked")

	c = mqttc.Config{Broker: "ssl://127.0.0.1:8883"}
	o, err = c.Options("x", nil, nil, nil)
	require.NoError(t, err)
	(&mqttc.Reporter{Log: slog.New(l)}).Watch(o)
	assert.Empty(t, l.take(slog.LevelWarn))
}

func TestReason(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("%w : %w", packets.ErrorNetworkError, err) }
	for _, tc := range []struct {
		err  error
		want string
	}{
		{packets.ErrorRefusedNotAuthorised, "not authorised (wrong username or password, or a user the broker does not know)"},
		{packets.ErrorRefusedBadUsernameOrPassword, "bad username or password"},
		{packets.ErrorRefusedIDRejected, "client id rejected"},
		{packets.ErrorRefusedServerUnavailable, "broker unavailable"},
		{packets.ErrorRefusedBadProtocolVersion, "broker refused MQTT 3.1.1"},
		{errRefused, "connection refused (is the broker running, and is this its port?)"},
		{wrap(&net.OpError{Op: "dial", Err: &os.SyscallError{Syscall: "connect", Err: syscall.EHOSTUNREACH}}), "broker unreachable (network)"},
		{wrap(&net.OpError{Op: "dial", Err: &net.DNSError{Name: "broker.store.lan", Err: "no such host", IsNotFound: true}}), "unknown host (broker.store.lan)"},
		{wrap(&net.OpError{Op: "dial", Err: timeout{}}), "timed out (broker unreachable, or a firewall drops the traffic)"},
		{wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), "TLS: the broker's certificate is not signed by a CA we trust (check mqtt.ca_file)"},
		{wrap(x509.HostnameError{Certificate: &x509.Certificate{}, Host: "10.0.0.9"}), "TLS: the broker's certificate is not for this host name"},
		{wrap(x509.CertificateInvalidError{Reason: x509.Expired, Detail: "expired yesterday"}), "TLS: the broker's certificate is not valid"},
		{wrap(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), "TLS: the broker does not speak TLS on this port"},
		{wrap(&net.OpError{Op: "remote error", Err: errors.New("tls: certificate required")}), "TLS: the broker refused the handshake (tls: certificate required; check mqtt.cert_file and key_file)"},
		{wrap(io.EOF), "the broker closed the connection during the handshake"},
		{wrap(errors.New("something else")), "network error: network Error : something else"},
	} {
		assert.Contains(t, mqttc.Reason(tc.err), tc.want, "%v", tc.err)
	}
}

type timeout struct{}

func (timeout) Error() string   { return "i/o timeout" }
func (timeout) Timeout() bool   { return true }
func (timeout) Temporary() bool { return true }
