// Package barcode holds the pure GS1 functions every scan goes through:
// check digits for GTIN-8/12/13/14, UPC-E expansion, normalisation to
// GTIN-14, configurable variable-measure (in-store, price or weight
// embedded) layouts, and GS1 element strings as carried by GS1-128,
// GS1 DataBar, GS1 DataMatrix and GS1 QR.
//
// Decode is the one call a lane makes per scan: it takes the data and the
// AIM symbology identifier a scanner reported (devices.Scan) and returns
// the GTIN-14 catalogue key plus any embedded price, weight or expiry.
//
// Nothing here does I/O or reads the clock. Bad input returns *Error,
// whose Reason says what is wrong.
package barcode
