package vdev

import (
	"sync"
	"time"
)

// ScaleOpts configures a VirtualScale. The zero value is an NCI scale
// reporting kilograms, with PhysicsOpts' defaults and the wall clock,
// living at scale in a fresh temporary directory.
type ScaleOpts struct {
	// Dir is the directory that holds the device link; "" means a fresh
	// temporary directory, removed on Close.
	Dir string
	// Name is the link's file name; "" means "scale".
	Name string
	// Protocol is what the scale speaks; "" means NCI.
	Protocol Protocol
	// Units is what it reports; "" means KG.
	Units Units
	// Physics shapes the load cell.
	Physics PhysicsOpts
	// Now is the clock; nil means time.Now. Inject one to make readings
	// deterministic.
	Now func() time.Time
	// Serial is the serial number MT-SICS reports; "" means "0000000000".
	Serial string
	// OnCommand, when set, is called with every complete command the
	// host sends, from the device's reader, once the scale has decided
	// its answer and before the answer is written.
	OnCommand func(cmd string)
}

// VirtualScale is a bagging-area scale on a pseudo-terminal. Place,
// Remove and Set change what is on the platter; the host polls it in its
// protocol and gets the answers a real scale gives.
type VirtualScale struct {
	*port
	now       func() time.Time
	onCommand func(string)

	mu    sync.Mutex
	model ScaleModel
	buf   []byte
	mute  bool
}

// NewScale plugs in a virtual scale.
func NewScale(o ScaleOpts) (*VirtualScale, error) {
	proto, err := ParseProtocol(string(o.Protocol))
	if err != nil {
		return nil, err
	}
	units, err := ParseUnits(string(o.Units))
	if err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Serial == "" {
		o.Serial = "0000000000"
	}
	s := &VirtualScale{
		now:       o.Now,
		onCommand: o.OnCommand,
		model: ScaleModel{
			Protocol: proto,
			Units:    units,
			Phys:     NewPhysics(o.Physics, o.Now()),
			Serial:   o.Serial,
		},
	}
	s.port, err = newPort("scale", o.Dir, o.Name, s.onData)
	if err != nil {
		return nil, err
	}
	if err := s.plugIn(); err != nil {
		return nil, err
	}
	return s, nil
}

// Protocol is the protocol the scale speaks.
func (s *VirtualScale) Protocol() Protocol { return s.model.Protocol }

// Place puts grams on the platter; the weight moves, then settles.
func (s *VirtualScale) Place(grams int) {
	s.do(func(p *Physics, now time.Time) { p.Place(grams, now) })
}

// Remove takes grams off the platter.
func (s *VirtualScale) Remove(grams int) {
	s.do(func(p *Physics, now time.Time) { p.Remove(grams, now) })
}

// Set makes the load on the platter grams.
func (s *VirtualScale) Set(grams int) { s.do(func(p *Physics, now time.Time) { p.Set(grams, now) }) }

// Load is the true load on the platter in grams.
func (s *VirtualScale) Load() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.model.Phys.Load()
}

// Sample is what the load cell reads now, with the forced faults applied.
func (s *VirtualScale) Sample() Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.model.sample(s.now())
}

// SetOverCapacity forces (or clears) the over-capacity status.
func (s *VirtualScale) SetOverCapacity(on bool) { s.set(func(m *ScaleModel) { m.OverCapacity = on }) }

// SetCannotZero makes the scale fail to zero (or clears the fault).
func (s *VirtualScale) SetCannotZero(on bool) { s.set(func(m *ScaleModel) { m.CannotZero = on }) }

// SetMute makes the scale stop answering (or answer again), as a scale
// whose controller hung while the cable stays in.
func (s *VirtualScale) SetMute(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mute = on
}

// Replug plugs the scale back in with an empty command buffer.
func (s *VirtualScale) Replug() error {
	s.mu.Lock()
	s.buf = nil
	s.mu.Unlock()
	return s.port.Replug()
}

func (s *VirtualScale) do(f func(p *Physics, now time.Time)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.model.Phys, s.now())
}

func (s *VirtualScale) set(f func(m *ScaleModel)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.model)
}

// onData answers every complete command the host sent, in order.
func (s *VirtualScale) onData(b []byte) {
	s.mu.Lock()
	cmds, rest := SplitCommands(s.model.Protocol, append(s.buf, b...))
	s.buf = rest
	s.mu.Unlock()
	for _, cmd := range cmds {
		s.mu.Lock()
		var reply []byte
		if !s.mute {
			reply = s.model.Answer(cmd, s.now())
		}
		s.mu.Unlock()
		if s.onCommand != nil {
			s.onCommand(cmd)
		}
		if reply != nil {
			_ = s.write(reply) // unplugged meanwhile: the host gets nothing, as on a real line
		}
	}
}
