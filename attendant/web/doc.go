// Package web is the attendant app in the browser, served by
// attendant-bridge on web.listen: the handheld view (/) an attendant
// carries on the shop floor, the store console (/console) for
// supervisors, the sign-in (/login, /logout) and /metrics.
//
// The app is one more pager of each attendant. It talks to the bridge
// only through Backend, which the bridge implements with the inputs an
// MQTT pager produces (a presence for one device, pager commands answered
// with protocol.PagerResult) and by tapping the effects it publishes
// (pages, withdrawals, results, alert records, lane states, assists,
// attendants). So a web attendant is paged, escalated and arbitrated
// exactly like an MQTT pager, and both can be used side by side.
//
// Everything the browser loads is embedded (plain HTML, CSS and
// JavaScript; no CDN, no build step). Live updates come over one
// Server-Sent Events stream per view (/api/events), which starts with a
// snapshot so a view that reconnects rebuilds what it shows; actions are
// JSON POSTs (/api/presence, /api/heartbeat, /api/cmd, /api/lane,
// /api/escalate).
//
// Security: attendants sign in with their roster id and PIN (bcrypt
// pin_hash, HashPIN); sessions are HttpOnly, SameSite=Strict cookies
// (Secure under TLS) that end after web.session or at sign-out and live in
// memory (a restart of the bridge signs everybody out). Wrong PINs are
// answered after a delay and limited per id and per address (FailsPerID,
// FailsPerAddr in FailWindow). Cross-origin state changes are refused
// (http.CrossOriginProtection), bodies are bounded (4 KiB), roles always
// come from the roster on each request, event streams are capped
// (DefaultMaxStreams, DefaultMaxStreamsPerSession) and the HTTP server has
// timeouts.
//
// A handheld's presence: the status chosen on it is passed to the bridge
// as that device's presence; a handheld that has not answered a ping or
// acted for OfflineAfter (30s) is offline until it is seen again.
//
// webtest holds a fake Backend for the app's tests and the Chromium
// helpers of every browser test; attendant/bridge's WebBackend is the
// real one.
package web
