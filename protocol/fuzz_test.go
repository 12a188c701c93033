package protocol

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

// payloadFor is a fresh value of the type each topic carries: what the
// lane, the bridge and pagers decode from the broker.
func payloadFor(kind byte) any {
	switch kind % 12 {
	case 0:
		return &LaneState{}
	case 1:
		return &Alert{}
	case 2:
		return &Command{}
	case 3:
		return &CommandResult{}
	case 4:
		return &Assist{}
	case 5:
		return &AlertRecord{}
	case 6:
		return &Page{}
	case 7:
		return &PagerCmd{}
	case 8:
		return &PagerResult{}
	case 9:
		return &Profile{}
	case 10:
		return &BridgeState{}
	}
	return nil // presence: DecodePresence
}

// FuzzDecode feeds any bytes to the decoder of every MQTT payload, the
// first step of every handler on both sides (lane, bridge, pager): it
// never panics, refuses what is over MaxPayload, and what it accepts
// encodes and decodes again to the same value.
func FuzzDecode(f *testing.F) {
	f.Add(byte(1), []byte(`{"id":"a1","store":"s1","lane":"3","zone":"front","kind":"help","severity":"high","status":"open","attempts":1,"detail":"","item":null,"ts":"2026-11-23T10:00:00.000Z"}`))
	f.Add(byte(2), []byte(`{"id":"c1","alert":"a1","action":"void","by":"ana","ts":"2026-11-23T10:00:00.000Z"}`))
	f.Add(byte(7), []byte(`{"id":"p1","alert":"a1","action":"claim","resolution":"","ts":null}`))
	f.Add(byte(11), []byte(`offline`))
	f.Add(byte(11), []byte(`{"status":"available","zone":"front","seq":3,"device":"tc52","ts":"2026-11-23T10:00:00.000Z"}`))
	f.Add(byte(0), []byte(`{"store":"s1","lane":"3","alerts":[1,2]}`))
	f.Fuzz(func(t *testing.T, kind byte, payload []byte) {
		v := payloadFor(kind)
		if v == nil {
			p, err := DecodePresence(payload)
			if err != nil {
				return
			}
			again, err := DecodePresence(Encode(p))
			require.NoError(t, err, "re-decoding %s", Encode(p))
			require.Equal(t, p, again)
			return
		}
		err := Decode(payload, v)
		if len(payload) > MaxPayload {
			require.ErrorIs(t, err, ErrTooLarge)
			return
		}
		if err != nil {
			return
		}
		again := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		require.NoError(t, Decode(Encode(v), again), "re-decoding %s", Encode(v))
		require.Equal(t, v, again)
	})
}
