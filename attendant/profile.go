package attendant

import (
	"time"

	"github.com/sco-project/sco/protocol"
)

// ProfileOut is the retained pager/{id}/profile of one roster entry.
type ProfileOut struct {
	To      string
	Profile protocol.Profile
}

// Profiles are the profiles of every roster entry, in roster order: what
// the bridge publishes, retained, whenever it connects. An id that left
// the roster has none; the bridge clears it.
func (d *Dispatcher) Profiles(now time.Time) []ProfileOut {
	out := make([]ProfileOut, 0, len(d.cfg.Attendants))
	for i := range d.cfg.Attendants {
		a := &d.cfg.Attendants[i]
		res := make(map[protocol.Kind][]protocol.Action, len(protocol.Kinds))
		for _, k := range protocol.Kinds {
			res[k] = resolutions(a, k)
		}
		out = append(out, ProfileOut{To: a.ID, Profile: protocol.Profile{
			ID: a.ID, Name: a.Name, Zone: a.Zone, Roles: a.Roles, Store: d.cfg.Store,
			Resolutions: res, TS: protocol.At(now),
		}})
	}
	return out
}

// resolutions are those of the kind's resolutions (protocol.ActionsFor)
// that the attendant's roles allow; never nil.
func resolutions(a *Attendant, k protocol.Kind) []protocol.Action {
	out := []protocol.Action{}
	for _, r := range protocol.ActionsFor(k) {
		if mayUse(a, r) {
			out = append(out, r)
		}
	}
	return out
}
