// Package scale drives bagging-area and POS scales over a serial port.
// Three protocols sit behind one driver: the NCI Standard Scale Protocol
// (Magellan, Avery Weigh-Tronix, Brecknell, NCR), Mettler Toledo 8217
// and Mettler Toledo MT-SICS.
//
// Each protocol's parser is pure code, tested with literal frames from
// the manuals and fuzzed: it turns one reply into a devices.Reading with
// integer grams and a status decoded bit by bit, and never reports a
// missing or garbled reply as a weight. Parsing a stable weight does not
// allocate. Dev polls the scale at a configurable interval (default
// 100ms), delivers one Reading per poll, zeroes on request, and survives
// unplugging through serialport.Port. A reply ends at its terminator or
// at a gap of a few character times (ReplyGapChars, at least
// MinReplyGap): a garbled reply costs one poll, not the reply timeout.
//
// The package owns its vocabulary: Protocols, Units, DefaultProtocol and
// DefaultLine (the serial setting each protocol's scales ship with) are
// what the lane config checks and defaults against.
package scale
