// Package simulator lets store IT test a lane, a whole store and the
// paging chain without hardware: virtual scanners and scales on real
// pseudo-terminals speaking the vendors' protocols, scripted shoppers,
// virtual pagers, and an embedded broker.
package simulator
