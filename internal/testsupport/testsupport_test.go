package testsupport

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/stretchr/testify/require"
	"go.bug.st/serial"
)

// roundTrip publishes a retained QoS 1 message and checks a later
// subscriber receives it: the property lanes rely on for their state.
func roundTrip(t *testing.T, url string) {
	t.Helper()
	connect := func(id string) paho.Client {
		c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(id))
		tok := c.Connect()
		require.True(t, tok.WaitTimeout(5*time.Second), "connect %s", id)
		require.NoError(t, tok.Error())
		t.Cleanup(func() { c.Disconnect(100) })
		return c
	}
	pub := connect("pub")
	tok := pub.Publish("sco/v1/s1/lane/3/state", 1, true, `{"online":true}`)
	require.True(t, tok.WaitTimeout(5*time.Second))
	require.NoError(t, tok.Error())

	got := make(chan string, 1)
	sub := connect("sub")
	tok = sub.Subscribe("sco/v1/s1/lane/+/state", 1, func(_ paho.Client, m paho.Message) {
		if m.Retained() {
			got <- string(m.Payload())
		}
	})
	require.True(t, tok.WaitTimeout(5*time.Second))
	require.NoError(t, tok.Error())
	select {
	case p := <-got:
		require.Equal(t, `{"online":true}`, p)
	case <-time.After(5 * time.Second):
		t.Fatal("retained message not delivered")
	}
}

func TestMochiRetained(t *testing.T) {
	b := Mochi(t)
	roundTrip(t, b.URL())
}

func TestMochiKeepsRetainedPastDefaultExpiry(t *testing.T) {
	b := Mochi(t)
	require.Zero(t, b.Server().Options.Capabilities.MaximumMessageExpiryInterval,
		"retained expiry must be disabled")
}

func TestMosquittoRetained(t *testing.T) {
	m := StartMosquitto(t, "")
	roundTrip(t, m.URL())
}

// A MosquittoService runs on the test's config file: started, it serves
// on the config's port; reloaded, it reads its config again; stopped and
// started again, it serves on the same port, with a fresh log.
func TestMosquittoService(t *testing.T) {
	port := FreePort(t)
	conf := filepath.Join(t.TempDir(), "mosquitto.conf")
	require.NoError(t, os.WriteFile(conf, []byte(fmt.Sprintf(
		"listener %d 127.0.0.1\nallow_anonymous true\nlog_dest stderr\n", port)), 0o600))
	m := NewMosquittoService(t, "test", conf)
	require.Empty(t, m.Log(), "not started")
	url := fmt.Sprintf("tcp://127.0.0.1:%d", port)
	m.Start()
	roundTrip(t, url)
	m.Reload()
	select {
	case <-m.log.Seen("Reloading config"):
	case <-time.After(MosquittoWait):
		t.Fatalf("no reload in its log:\n%s", m.Log())
	}
	m.Stop()
	m.Stop() // a no-op
	m.Start()
	require.NotContains(t, m.Log(), "Reloading config", "the log of this start only")
	roundTrip(t, url)
}

func TestPTYSerialRoundTrip(t *testing.T) {
	p := OpenPTY(t)
	port, err := serial.Open(p.Path, &serial.Mode{BaudRate: 9600, DataBits: 7, Parity: serial.EvenParity, StopBits: serial.OneStopBit})
	require.NoError(t, err, "go.bug.st/serial must open a pty by path at 7E1")
	defer port.Close()

	_, err = p.Master.Write([]byte("5000112637922\r\n"))
	require.NoError(t, err)
	require.NoError(t, port.SetReadTimeout(100*time.Millisecond))
	var got []byte
	buf := make([]byte, 64)
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < 15 && time.Now().Before(deadline) {
		n, err := port.Read(buf)
		require.NoError(t, err)
		got = append(got, buf[:n]...)
	}
	require.Equal(t, "5000112637922\r\n", string(got))

	_, err = port.Write([]byte("W\r"))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := p.ReadUntil(ctx, []byte("\r"))
	require.NoError(t, err)
	require.Equal(t, "W\r", string(out))

	// Unplug: the reader must see an error, not (0, nil) forever.
	p.HangUp()
	deadline = time.Now().Add(5 * time.Second)
	for {
		n, err := port.Read(buf)
		if err != nil {
			break
		}
		require.Zero(t, n, "no data after hang-up")
		require.True(t, time.Now().Before(deadline), "hang-up not reported")
	}
}

// A device played by a test must not hang the test when the driver never
// writes: ReadUntil gives up at the context's deadline.
func TestPTYReadUntilHonoursDeadline(t *testing.T) {
	p := OpenPTY(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := p.ReadUntil(ctx, []byte("never"))
	require.Error(t, err)
}

// Seen is closed once its text has been written, in one write or split
// over several; two waiters on the same text both hear of it.
func TestSyncBufferSeen(t *testing.T) {
	var b SyncBuffer
	early := b.Seen("ready\n")
	twice := b.Seen("ready\n")
	other := b.Seen("never")
	_, _ = b.Write([]byte("mosquitto rea"))
	select {
	case <-early:
		t.Fatal("closed before the text was complete")
	default:
	}
	_, _ = b.Write([]byte("dy\n"))
	for _, ch := range []<-chan struct{}{early, twice, b.Seen("ready")} {
		select {
		case <-ch:
		default:
			t.Fatal("not closed once the text was written")
		}
	}
	select {
	case <-other:
		t.Fatal("closed for a text never written")
	default:
	}
	if got := b.String(); got != "mosquitto ready\n" {
		t.Fatalf("String() = %q", got)
	}
}
