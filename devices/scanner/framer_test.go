package scanner

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// feedAll feeds chunks one after another and returns every frame.
func feedAll(f *Framer, chunks ...string) []Frame {
	var out []Frame
	for _, c := range chunks {
		out = f.Feed(out, []byte(c))
	}
	return out
}

func TestFramer(t *testing.T) {
	long := strings.Repeat("1", MaxFrame+1)
	for _, tc := range []struct {
		name   string
		f      Framer
		chunks []string
		want   []string // "AIM|data" or "!reason"
	}{
		{"cr", Framer{}, []string{"]E05000112637922\r"}, []string{"]E0|5000112637922"}},
		{"lf", Framer{}, []string{"5000112637922\n"}, []string{"|5000112637922"}},
		{"crlf joined", Framer{}, []string{"]E05000112637922\r\n]E401234565\r\n"}, []string{"]E0|5000112637922", "]E4|01234565"}},
		{"split anywhere", Framer{}, []string{"]", "E0500", "0112637922\r", "\n"}, []string{"]E0|5000112637922"}},
		{"split crlf", Framer{}, []string{"123\r", "\n456\r", "\n"}, []string{"|123", "|456"}},
		{"empty lines", Framer{}, []string{"\r\n\r\n\n\r"}, nil},
		{"stx etx", Framer{}, []string{"\x02]C10109501101530003\x1d10AB\x03"}, []string{"]C1|0109501101530003\x1d10AB"}},
		{"stx etx then crlf", Framer{}, []string{"\x0212345670\x03\r\n"}, []string{"|12345670"}},
		{"stx etx lrc ok", Framer{LRC: true}, []string{"\x02AB\x03", "\x00"}, []string{"|AB"}}, // A^B^ETX = 0x00
		{"stx etx lrc bad", Framer{LRC: true}, []string{"\x02AB\x03\x01"}, []string{"!bad LRC"}},
		{"stx etx lrc printable ok", Framer{LRC: true}, []string{"\x02ABC\x03C"}, []string{"|ABC"}},
		{"stx etx lrc printable bad", Framer{LRC: true}, []string{"\x02ABC\x03D12\r"}, []string{"!bad LRC", "|12"}},
		{"prefix", Framer{Prefix: "#"}, []string{"#]E05000112637922\r"}, []string{"]E0|5000112637922"}},
		{"prefix absent", Framer{Prefix: "#"}, []string{"]E05000112637922\r"}, []string{"]E0|5000112637922"}},
		{"gs kept", Framer{}, []string{"]C1010950110153000317140704\x1d10AB\r"}, []string{"]C1|010950110153000317140704\x1d10AB"}},
		{"not aim", Framer{}, []string{"]]X\r"}, []string{"|]]X"}},
		{"aim only", Framer{}, []string{"]E0\r"}, []string{"!AIM identifier without data"}},
		{"prefix only", Framer{Prefix: "#"}, []string{"#\r"}, []string{"!without data"}},
		{"too long then fine", Framer{}, []string{long + "\r]E0123\r"}, []string{"!frame over", "]E0|123"}},
		{"too long stx", Framer{}, []string{"\x02" + long + "\x03abc\r"}, []string{"!frame over", "|abc"}},
		{"exactly max", Framer{}, []string{long[:MaxFrame] + "\r"}, []string{"|" + long[:MaxFrame]}},
		{"noise", Framer{}, []string{"\xf8\x80\x00\xfe\r]E05000112637922\r"}, []string{"!non-printable", "]E0|5000112637922"}},
		{"wrong baud garbage", Framer{}, []string{"\x9a\xe6\x1e\x80\xf8\x98\x78\r\n"}, []string{"!non-printable"}},
		{"stx cuts a line", Framer{}, []string{"12\x0234\x03"}, []string{"!frame cut off", "|34"}},
		{"stx restarts stx", Framer{}, []string{"\x0212\x0234\x03"}, []string{"!frame cut off", "|34"}},
		{"ssi ack", Framer{SSI: true}, []string{"\x04\xd0\x00\x00\xff\x2c]E0123\r"}, []string{"ack", "]E0|123"}},
		{"ssi nak split", Framer{SSI: true}, []string{"\x04\xd1\x00", "\x00\xff\x2b"}, []string{"nak"}},
		{"ssi bad sum", Framer{SSI: true}, []string{"\x04\xd0\x00\x00\xff\x2d"}, []string{"!bad SSI"}},
		{"ssi not ack", Framer{SSI: true}, []string{"\x04A\r"}, []string{"!non-printable"}},
		{"ssi off", Framer{}, []string{"\x04\xd0\x00\x00\xff\x2c]E0123\r"}, []string{"!non-printable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			got := feedAll(&f, tc.chunks...)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d frames %v, want %v", len(got), got, tc.want)
			}
			for i, fr := range got {
				w := tc.want[i]
				switch {
				case strings.HasPrefix(w, "!"):
					if fr.Err == nil || !strings.Contains(fr.Err.Error(), w[1:]) {
						t.Errorf("frame %d = %v, want dropped %q", i, fr, w[1:])
					}
				case w == "ack" || w == "nak":
					want := KindAck
					if w == "nak" {
						want = KindNak
					}
					if fr.Err != nil || fr.Kind != want {
						t.Errorf("frame %d = %v, want %s", i, fr, w)
					}
				default:
					if fr.Err != nil || fr.Kind != KindScan || fr.AIM+"|"+fr.Data != w {
						t.Errorf("frame %d = %v, want %q", i, fr, w)
					}
				}
			}
		})
	}
}

func TestFramerReset(t *testing.T) {
	var f Framer
	got := feedAll(&f, "]E0500011")
	f.Reset()
	got = append(got, feedAll(&f, "]E0123\r")...)
	if len(got) != 1 || got[0].Data != "123" {
		t.Fatalf("after Reset: %v", got)
	}
}

func TestFramerByteAtATime(t *testing.T) {
	in := []byte("]E05000112637922\r\n\x02]E401234565\x03\xff\xfe\r]C10109501101530003\r")
	var f Framer
	var got []Frame
	for i := range in {
		got = f.Feed(got, in[i:i+1])
	}
	var whole Framer
	want := whole.Feed(nil, in)
	if len(got) != len(want) || len(got) != 4 {
		t.Fatalf("byte at a time %v, whole %v", got, want)
	}
	for i := range got {
		if got[i].Data != want[i].Data || got[i].AIM != want[i].AIM || !errors.Is(got[i].Err, want[i].Err) && got[i].Err != want[i].Err {
			t.Errorf("frame %d: %v vs %v", i, got[i], want[i])
		}
	}
}

func FuzzFramer(f *testing.F) {
	for _, s := range []string{
		"]E05000112637922\r\n", "\x02]C10109501101530003\x1d10AB\x03", "\x04\xd0\x00\x00\xff\x2c",
		"\xf8\x80\x00\xfe\r", strings.Repeat("9", 300) + "\r", "12\x0234\x03\r",
	} {
		f.Add([]byte(s), uint8(3), false, true)
	}
	f.Fuzz(func(t *testing.T, b []byte, split uint8, lrc, ssi bool) {
		fr := Framer{LRC: lrc, SSI: ssi, Prefix: "#"}
		var got []Frame
		// Feed in chunks of split+1 bytes: framing must not depend on how
		// reads split the stream.
		step := int(split) + 1
		for i := 0; i < len(b); i += step {
			got = fr.Feed(got, b[i:min(i+step, len(b))])
		}
		one := Framer{LRC: lrc, SSI: ssi, Prefix: "#"}
		want := one.Feed(nil, b)
		if len(got) != len(want) {
			t.Fatalf("chunked %d frames, whole %d", len(got), len(want))
		}
		for i, x := range got {
			if x.Err == nil {
				if len(x.Data)+len(x.AIM) > MaxFrame || x.Data != want[i].Data || x.AIM != want[i].AIM || x.Kind != want[i].Kind {
					t.Fatalf("frame %d: %v vs %v", i, x, want[i])
				}
				if x.Kind == KindScan && (x.Data == "" || bytes.ContainsAny([]byte(x.Data), "\r\n\x02\x03")) {
					t.Fatalf("frame %d has data %q", i, x.Data)
				}
			} else if want[i].Err == nil {
				t.Fatalf("frame %d dropped chunked only: %v", i, x)
			}
		}
	})
}

func BenchmarkFramer(b *testing.B) {
	in := []byte("]E05000112637922\r\n")
	var f Framer
	var out []Frame
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		out = f.Feed(out[:0], in)
	}
	if len(out) != 1 {
		b.Fatal(out)
	}
}
