package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/sco-project/sco/protocol"
)

// maxBody bounds every request body (JSON actions and the sign-in form).
const maxBody = 4 << 10

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

// decode reads a JSON body of at most maxBody bytes into v, answering 413
// or 400 itself when it cannot.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data after the object")
	}
	if err == nil {
		_, err = io.Copy(io.Discard, r.Body) // a body over the limit fails here too
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", mbe.Limit))
		return false
	case err != nil:
		writeError(w, http.StatusBadRequest, "malformed JSON: "+err.Error())
		return false
	}
	return true
}

// withAuth runs h for a signed-in attendant; the device is seen.
func (s *Server) withAuth(h func(http.ResponseWriter, *http.Request, *session, Attendant)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, a, err := s.auth(r)
		if err != nil {
			writeError(w, http.StatusUnauthorized, err.Error())
			return
		}
		h(w, r, sess, a)
	}
}

func (s *Server) apiMe(w http.ResponseWriter, _ *http.Request, sess *session, a Attendant) {
	writeJSON(w, http.StatusOK, me{ID: a.ID, Name: a.Name, Zone: a.Zone, Roles: a.Roles, Supervisor: a.HasRole(protocol.RoleSupervisor), Device: sess.device, Status: s.devices.status(a.ID, sess.device), Store: s.store})
}

// apiPresence sets this device's status: {"status":"available"}.
func (s *Server) apiPresence(w http.ResponseWriter, r *http.Request, sess *session, a Attendant) {
	var req struct {
		Status string `json:"status"`
	}
	if !decode(w, r, &req) {
		return
	}
	if !validStatus(req.Status) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("status %q must be available, busy, break or offline", req.Status))
		return
	}
	s.devices.set(a.ID, sess.device, req.Status)
	writeJSON(w, http.StatusOK, map[string]string{"status": req.Status})
}

// apiHeartbeat is the handheld answering a ping: it is reachable.
func (s *Server) apiHeartbeat(w http.ResponseWriter, r *http.Request, sess *session, a Attendant) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	_, _ = io.Copy(io.Discard, r.Body)
	s.devices.beat(a.ID, sess.device)
	w.WriteHeader(http.StatusNoContent)
}

// cmdRequest is POST /api/cmd.
type cmdRequest struct {
	ID         string          `json:"id"` // optional; a retry re-uses it
	Alert      string          `json:"alert"`
	Action     string          `json:"action"` // claim | release | arrive | resolve
	Resolution protocol.Action `json:"resolution"`
}

// resultView is the answer to an action.
type resultView struct {
	ID        string `json:"id"`
	OK        bool   `json:"ok"`
	Error     string `json:"error,omitempty"`
	ClaimedBy string `json:"claimed_by"`
	// Pending: the lane has not answered yet; the answer comes on the
	// event stream as a `result` event with this id.
	Pending bool `json:"pending,omitempty"`
}

// statusFor is the HTTP status of a pager answer.
func statusFor(r protocol.PagerResult) int {
	e := protocol.PagerError(r.Error)
	switch {
	case r.OK:
		return http.StatusOK
	case e == protocol.ErrUnknownAlert, e == ErrUnknownLane:
		return http.StatusNotFound
	case e == protocol.ErrAlertClosed, e == protocol.ErrCancelledByLane, e == protocol.ErrNotOnLane:
		return http.StatusGone
	case e == protocol.ErrNotPaged, e == protocol.ErrUnknownAttendant, strings.HasPrefix(r.Error, string(protocol.ErrRoleRequired)):
		return http.StatusForbidden
	case strings.HasPrefix(r.Error, string(protocol.ErrNotAllowed)), r.Error == "bad command", r.Error == "bad id":
		return http.StatusUnprocessableEntity
	case r.Error == "rate limited":
		return http.StatusTooManyRequests
	default: // already claimed, resolution pending, stale, lane: ...
		return http.StatusConflict
	}
}

// answer writes the Backend's answer to an action.
func (s *Server) answer(w http.ResponseWriter, id string, res protocol.PagerResult, err error) {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		writeJSON(w, http.StatusAccepted, resultView{ID: id, Pending: true})
	case err != nil:
		writeError(w, http.StatusServiceUnavailable, err.Error())
	default:
		writeJSON(w, statusFor(res), resultView{ID: id, OK: res.OK, Error: res.Error, ClaimedBy: res.ClaimedBy})
	}
}

const (
	badID    = "bad id: at most 128 characters of A-Z a-z 0-9 . _ : -"
	badAlert = "alert: a valid alert id is required"
)

// cmdID is the command id a request gave, or a new one.
func cmdID(id string) (string, bool) {
	if id == "" {
		return newCmdID(), true
	}
	return id, validWireID(id)
}

// apiCmd runs claim, release, arrive or resolve as the attendant.
func (s *Server) apiCmd(w http.ResponseWriter, r *http.Request, sess *session, a Attendant) {
	var req cmdRequest
	if !decode(w, r, &req) {
		return
	}
	s.devices.beat(a.ID, sess.device)
	id, ok := cmdID(req.ID)
	if !ok {
		writeError(w, http.StatusBadRequest, badID)
		return
	}
	if !validWireID(req.Alert) {
		writeError(w, http.StatusBadRequest, badAlert)
		return
	}
	switch req.Action {
	case protocol.PagerClaim, protocol.PagerRelease, protocol.PagerArrive:
		if req.Resolution != "" {
			writeError(w, http.StatusBadRequest, "resolution: only with action resolve")
			return
		}
	case protocol.PagerResolve:
		if !req.Resolution.Valid() {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("resolution %q is not one of %v", req.Resolution, protocol.Actions))
			return
		}
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("action %q must be claim, release, arrive or resolve", req.Action))
		return
	}
	s.run(w, r, req.Action, id, func(ctx context.Context) (protocol.PagerResult, error) {
		return s.backend.Command(ctx, a.ID, protocol.PagerCmd{ID: id, Alert: req.Alert, Action: req.Action, Resolution: req.Resolution, TS: protocol.At(s.now())})
	})
}

// supervisorAction decodes a supervisor's action into req and checks its
// id (*rawID, made up when empty); it answers the request itself when it
// cannot go on.
func supervisorAction(w http.ResponseWriter, r *http.Request, a Attendant, what string, req any, rawID *string) (string, bool) {
	if !decode(w, r, req) {
		return "", false
	}
	if !a.HasRole(protocol.RoleSupervisor) {
		writeError(w, http.StatusForbidden, what+" is for supervisors")
		return "", false
	}
	id, ok := cmdID(*rawID)
	if !ok {
		writeError(w, http.StatusBadRequest, badID)
		return "", false
	}
	return id, true
}

// apiLane closes or opens a lane: {"lane":"3","action":"out_of_service"}.
func (s *Server) apiLane(w http.ResponseWriter, r *http.Request, _ *session, a Attendant) {
	var req struct {
		ID     string          `json:"id"`
		Lane   string          `json:"lane"`
		Action protocol.Action `json:"action"`
	}
	id, ok := supervisorAction(w, r, a, "closing and opening lanes", &req, &req.ID)
	switch {
	case !ok:
		return
	case !protocol.ValidID(req.Lane):
		writeError(w, http.StatusBadRequest, "lane: a lane id ([a-z0-9-]+) is required")
		return
	case req.Action != protocol.ActionOutOfService && req.Action != protocol.ActionInService:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("action %q must be out_of_service or in_service", req.Action))
		return
	}
	s.run(w, r, protocol.PagerLane, id, func(ctx context.Context) (protocol.PagerResult, error) {
		return s.backend.Lane(ctx, a.ID, id, req.Lane, req.Action)
	})
}

// apiEscalate pages an alert's next tier now: {"alert":"..."}.
func (s *Server) apiEscalate(w http.ResponseWriter, r *http.Request, _ *session, a Attendant) {
	var req struct {
		ID    string `json:"id"`
		Alert string `json:"alert"`
	}
	id, ok := supervisorAction(w, r, a, "escalating", &req, &req.ID)
	switch {
	case !ok:
		return
	case !validWireID(req.Alert):
		writeError(w, http.StatusBadRequest, badAlert)
		return
	}
	s.run(w, r, "escalate", id, func(ctx context.Context) (protocol.PagerResult, error) {
		return s.backend.Escalate(ctx, a.ID, id, req.Alert)
	})
}

// run asks the Backend, waiting at most Opts.CommandTimeout, and answers.
func (s *Server) run(w http.ResponseWriter, r *http.Request, action, id string, ask func(context.Context) (protocol.PagerResult, error)) {
	s.metrics.command(action)
	ctx, cancel := context.WithTimeout(r.Context(), s.cmdTimeout)
	defer cancel()
	res, err := ask(ctx)
	s.answer(w, id, res, err)
}
