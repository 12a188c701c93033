// Package scanner drives a serial (RS-232 or USB-CDC) barcode scanner:
// it frames the byte stream (CR, LF, CRLF or STX..ETX[LRC]; reads may
// split or join frames), strips an optional prefix and the AIM symbology
// identifier, drops over-long and noisy frames with a warning (and half
// a frame once the line stays quiet for the frame gap), and
// delivers devices.Scan values. Models with host commands (Datalogic
// E/D, Honeywell SYN T/U, Zebra SSI) can be disabled while the lane waits
// for an attendant; the last setting is re-sent when the port comes back.
//
// The Framer is pure and tested with literal frames; Dev is the thin
// driver over a serialport.Port. Models (ModelNames, DefaultModel) and
// DefaultLine (9600 8N1) are what the lane config checks and defaults
// against.
package scanner
