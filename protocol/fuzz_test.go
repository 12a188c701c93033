package protocol

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

// payloadFor is a fresh value of the type each topic carries: what the
// lane, the bridge and pagers decode from the broker.
func payloadFor(kind byte) any {
	switch kind % 13 {
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
	case 11:
		return &Checkout{}
	}
	return nil // presence: DecodePresence
}

// FuzzDecode feeds any bytes to the decoder of every MQTT payload, the
// first step of every handler on both sides (lane, bridge, pager): it
// never panics, refuses what is over MaxPayload, and what it accepts
// encodes to a payload that decodes again and encodes the same (the
// first encoding may drop what the wire form has no room for: a
// timestamp's digits below the millisecond).
func FuzzDecode(f *testing.F) {
	f.Add(byte(1), []byte(`{"id":"a1","store":"s1","lane":"3","zone":"front","kind":"help","severity":"high","status":"open","attempts":1,"detail":"","item":null,"ts":"2026-11-23T10:00:00.000Z"}`))
	f.Add(byte(2), []byte(`{"id":"c1","alert":"a1","action":"void","by":"ana","ts":"2026-11-23T10:00:00.000Z"}`))
	f.Add(byte(7), []byte(`{"id":"p1","alert":"a1","action":"claim","resolution":"","ts":null}`))
	f.Add(byte(3), []byte(`{"id":"c1","ok":true,"error":"","ts":"2026-11-23T10:00:00.1234567+01:00"}`))
	f.Add(byte(11), []byte(`{"session":"3-1","items":2,"total_cents":988,"started":"2026-11-23T09:58:12.300Z","finished":"2026-11-23T10:00:58.400Z","alerts":1,"ts":"2026-11-23T10:00:58.400Z"}`))
	f.Add(byte(12), []byte(`offline`))
	f.Add(byte(12), []byte(`{"status":"busy","zone":"","seq":4,"ts":"2026-11-23T10:00:00.0001Z"}`))
	f.Add(byte(12), []byte(`{"status":"available","zone":"front","seq":3,"device":"tc52","ts":"2026-11-23T10:00:00.000Z"}`))
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
			require.Equal(t, string(Encode(p)), string(Encode(again)))
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
		require.Equal(t, string(Encode(v)), string(Encode(again)))
	})
}
