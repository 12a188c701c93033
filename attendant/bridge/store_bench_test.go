package bridge

import (
	"fmt"
	"testing"
	"time"
)

// What the bridge saves after a batch that raised and cancelled one
// alert while a day of 1,000 closed alerts is kept: the changes
// (attendant.Dispatcher.Changes), in one synced transaction.
func BenchmarkStoreSave(b *testing.B) {
	l := newFakeLane(b, testConfig(b))
	alert := func(i int) {
		id := fmt.Sprintf("a%d", i)
		now := t0.Add(time.Duration(i) * time.Millisecond)
		l.raise(now, id)
		l.cancel(now, id)
	}
	for i := range 1000 {
		alert(i)
	}
	st, err := OpenStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.Apply(l.d.Changes()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 1000
	for b.Loop() {
		alert(i)
		i++
		if err := st.Apply(l.d.Changes()); err != nil {
			b.Fatal(err)
		}
	}
}
