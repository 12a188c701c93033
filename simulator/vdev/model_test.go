package vdev

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// quiet is physics without noise, so answers are exact.
var quiet = PhysicsOpts{Noise: -1, StableNoise: -1}

func newModel(p Protocol) *ScaleModel {
	return &ScaleModel{Protocol: p, Units: KG, Phys: NewPhysics(quiet, t0), Serial: "1234567890"}
}

func TestSplitCommands(t *testing.T) {
	for _, tc := range []struct {
		p    Protocol
		in   string
		cmds []string
		rest string
	}{
		{NCI, "W\r", []string{"W"}, ""},
		{NCI, "W\rZ\rW", []string{"W", "Z"}, "W"},
		{NCI, "\rW\r\n", []string{"W"}, "\n"},
		{Toledo, "WZ\r\nT", []string{"W", "Z", "T"}, ""},
		{SICS, "SI\r\nZ\r\nS", []string{"SI", "Z"}, "S"},
		{SICS, "SI\n", []string{"SI"}, ""},
		{SICS, "SI\r", nil, "SI\r"},
	} {
		cmds, rest := SplitCommands(tc.p, []byte(tc.in))
		assert.Equal(t, tc.cmds, cmds, "%s %q", tc.p, tc.in)
		assert.Equal(t, tc.rest, string(rest), "%s %q", tc.p, tc.in)
	}
	long := make([]byte, maxCommand+1)
	for i := range long {
		long[i] = 'X'
	}
	cmds, rest := SplitCommands(NCI, long)
	assert.Empty(t, cmds)
	assert.Empty(t, rest, "an unterminated flood is dropped")
}

func TestNCIAnswers(t *testing.T) {
	m := newModel(NCI)
	now := t0
	assert.Equal(t, "\n00.000KG\r\nS20\r\x03", string(m.Answer("W", now)), "empty and settled: at zero")
	m.Phys.Place(355, now)
	assert.Equal(t, "\nS10\r\x03", string(m.Answer("W", now)), "moving: status only with motion")
	now = now.Add(400 * time.Millisecond)
	assert.Equal(t, "\n00.355KG\r\nS00\r\x03", string(m.Answer("W", now)))
	assert.Equal(t, "\n00.3550KG\r\nS00\r\x03", string(m.Answer("H", now)))
	assert.Equal(t, "\nS00\r\x03", string(m.Answer("S", now)))
	assert.Equal(t, "\n?\r\x03", string(m.Answer("X", now)))

	m.OverCapacity = true
	assert.Equal(t, "\nS02\r\x03", string(m.Answer("W", now)))
	m.OverCapacity = false
	m.CannotZero = true
	assert.Equal(t, "\nS0p8\r\x03", string(m.Answer("W", now)), "zero error: byte 2 bit 6 announces byte 3 bit 3")
	m.CannotZero = false

	// Zero with 355 g on the platter is within 2% of 30 kg: accepted.
	assert.Equal(t, "\nS20\r\x03", string(m.Answer("Z", now)))
	m.Phys.Remove(355, now)
	now = now.Add(time.Second)
	assert.Equal(t, "\nS01\r\x03", string(m.Answer("W", now)), "below zero: under capacity")
	// Zero is ignored while moving.
	m.Phys.Place(1000, now)
	assert.Equal(t, "\nS11\r\x03", string(m.Answer("Z", now)))

	assert.Equal(t, "\nS00\r\x03", string(m.Answer("U", now.Add(time.Second))))
	assert.Equal(t, LB, m.Units)
	// 1000 g - 355 g zero = 645 g = 1.422 lb.
	assert.Equal(t, "\n01.422LB\r\nS00\r\x03", string(m.Answer("W", now.Add(time.Second))))
}

func TestToledoAnswers(t *testing.T) {
	m := newModel(Toledo)
	now := t0
	assert.Equal(t, "\x0200.000\r", string(m.Answer("W", now)))
	m.Phys.Place(1250, now)
	assert.Equal(t, "\x02?A\r", string(m.Answer("W", now)), "motion: bit 0 plus bit 6")
	now = now.Add(time.Second)
	assert.Equal(t, "\x0201.250\r", string(m.Answer("W", now)))
	assert.Nil(t, m.Answer("T", now), "tare is not answered")
	assert.Equal(t, "\x0200.000N\r", string(m.Answer("W", now)), "net after tare")
	m.Phys.Place(355, now)
	now = now.Add(time.Second)
	assert.Equal(t, "\x0200.355N\r", string(m.Answer("W", now)))
	assert.Nil(t, m.Answer("C", now))
	assert.Equal(t, "\x0201.605\r", string(m.Answer("W", now)))
	m.OverCapacity = true
	assert.Equal(t, "\x02?B\r", string(m.Answer("W", now)))
	m.OverCapacity = false
	m.CannotZero = true
	assert.Equal(t, "\x02?H\r", string(m.Answer("W", now)))
	assert.Nil(t, m.Answer("Z", now))
	m.CannotZero = false
	m.Phys.Set(0, now)
	now = now.Add(time.Second)
	assert.Equal(t, "\x0200.000\r", string(m.Answer("W", now)))
	assert.Nil(t, m.Answer("Q", now), "unknown bytes are ignored")
}

func TestSICSAnswers(t *testing.T) {
	m := newModel(SICS)
	now := t0
	assert.Equal(t, "S S     0.000 kg\r\n", string(m.Answer("SI", now)))
	m.Phys.Place(355, now)
	got := string(m.Answer("SI", now))
	assert.Equal(t, "S D     0.000 kg\r\n", got, "dynamic, at the start of the movement")
	assert.Equal(t, "S I\r\n", string(m.Answer("S", now)), "stable weight asked while moving")
	assert.Equal(t, "Z I\r\n", string(m.Answer("Z", now)))
	now = now.Add(400 * time.Millisecond)
	assert.Equal(t, "S S     0.355 kg\r\n", string(m.Answer("SI", now)))
	assert.Equal(t, "S S     0.355 kg\r\n", string(m.Answer("S", now)))
	assert.Equal(t, "T S     0.355 kg\r\n", string(m.Answer("T", now)))
	assert.Equal(t, "S S     0.000 kg\r\n", string(m.Answer("SI", now)))
	assert.Equal(t, "TAC A\r\n", string(m.Answer("TAC", now)))
	assert.Equal(t, "Z A\r\n", string(m.Answer("Z", now)))
	m.Phys.Place(5000, now)
	now = now.Add(time.Second)
	assert.Equal(t, "Z +\r\n", string(m.Answer("Z", now)), "5 kg is outside the zero range")
	m.Phys.Set(0, now)
	now = now.Add(time.Second)
	assert.Equal(t, "S -\r\n", string(m.Answer("SI", now)), "below the zero taken with 355 g")
	m.OverCapacity = true
	assert.Equal(t, "S +\r\n", string(m.Answer("SI", now)))
	m.OverCapacity = false
	m.CannotZero = true
	assert.Equal(t, "Z I\r\n", string(m.Answer("Z", now)))
	assert.Equal(t, "S I\r\n", string(m.Answer("SI", now)))
	m.CannotZero = false
	assert.Equal(t, "I4 A \"1234567890\"\r\n", string(m.Answer("@", now)))
	assert.Equal(t, "ES\r\n", string(m.Answer("si", now)), "commands are upper case")
	m.Units = LB
	m.Phys.Set(907, now) // 355 g zero + 552 g = 1.217 lb
	assert.Equal(t, "S S     1.217 lb\r\n", string(m.Answer("SI", now.Add(time.Second))))
}

func TestPhysicsSettlesWithBoundedNoise(t *testing.T) {
	p := NewPhysics(PhysicsOpts{Seed: 7}, t0)
	o := p.Opts()
	require.Equal(t, 400*time.Millisecond, o.Settle)
	p.Place(1000, t0)
	varied := map[int]bool{}
	for el := time.Duration(0); el < o.Settle; el += 10 * time.Millisecond {
		s := p.Read(t0.Add(el))
		require.True(t, s.Motion, "moving at %v", el)
		require.GreaterOrEqual(t, s.Net, -o.Noise, "at %v", el)
		require.LessOrEqual(t, s.Net, 1000+o.StableNoise+o.Noise, "at %v", el)
		varied[s.Net] = true
	}
	assert.Greater(t, len(varied), 10, "the reading moves while settling")
	first := p.Read(t0.Add(o.Settle))
	require.False(t, first.Motion)
	assert.InDelta(t, 1000, first.Net, float64(o.StableNoise))
	for i := 0; i < 20; i++ {
		assert.Equal(t, first, p.Read(t0.Add(o.Settle+time.Duration(i)*time.Second)), "a settled reading does not flicker")
	}
	// The same seed replays the same run.
	q := NewPhysics(PhysicsOpts{Seed: 7}, t0)
	q.Place(1000, t0)
	r := NewPhysics(PhysicsOpts{Seed: 7}, t0)
	r.Place(1000, t0)
	for el := time.Duration(0); el < o.Settle; el += 50 * time.Millisecond {
		assert.Equal(t, q.Read(t0.Add(el)), r.Read(t0.Add(el)))
	}
	// Emptying the platter settles at exactly zero.
	p.Set(0, t0.Add(time.Minute))
	assert.Equal(t, Sample{AtZero: true}, p.Read(t0.Add(2*time.Minute)))
}

func TestPhysicsChangeWhileMovingStartsFromTheMovingReading(t *testing.T) {
	p := NewPhysics(PhysicsOpts{Noise: -1, StableNoise: -1, Settle: time.Second}, t0)
	p.Place(1000, t0)
	mid := p.Read(t0.Add(500 * time.Millisecond)).Net
	require.Greater(t, mid, 0)
	require.Less(t, mid, 1000)
	p.Place(500, t0.Add(500*time.Millisecond))
	assert.Equal(t, mid, p.Read(t0.Add(500*time.Millisecond)).Net, "no jump at the second change")
	assert.True(t, p.Read(t0.Add(1400*time.Millisecond)).Motion, "settling restarts")
	assert.Equal(t, 1500, p.Read(t0.Add(1500*time.Millisecond)).Net)
}

func TestParseOptions(t *testing.T) {
	_, err := ParseProtocol("dialog06")
	require.ErrorContains(t, err, `"dialog06"`)
	p, err := ParseProtocol("SICS")
	require.NoError(t, err)
	assert.Equal(t, SICS, p)
	_, err = ParseUnits("oz")
	require.ErrorContains(t, err, `"oz"`)
	_, err = ParseSuffix("tab")
	require.ErrorContains(t, err, `"tab"`)
}

func TestFrame(t *testing.T) {
	gs := "\x1d"
	for _, tc := range []struct {
		o         ScannerOpts
		data, aim string
		want      string
	}{
		{ScannerOpts{}, "5000112637922", "", "5000112637922\r"},
		{ScannerOpts{Suffix: SuffixLF}, "5000112637922", "]E0", "5000112637922\n"},
		{ScannerOpts{Suffix: SuffixCRLF, AIM: true}, "5000112637922", "", "]E05000112637922\r\n"},
		{ScannerOpts{Suffix: SuffixSTXETX, AIM: true}, "96385074", "", "\x02]E496385074\x03"},
		{ScannerOpts{AIM: true}, "0150001126379221" + gs + "3103000355", "", "]C10150001126379221" + gs + "3103000355\r"},
		{ScannerOpts{AIM: true, Prefix: "#"}, "ABC-123", "", "#]C0ABC-123\r"},
		{ScannerOpts{Suffix: SuffixNone, AIM: true}, "012345678905", "]E3", "]E3012345678905"},
	} {
		assert.Equal(t, tc.want, string(Frame(tc.o, tc.data, tc.aim)), "%+v %q", tc.o, tc.data)
	}
}
