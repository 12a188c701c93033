package scale

import (
	"errors"
	"fmt"
	"strings"
)

// Unit is a unit of mass a scale reports in.
type Unit uint8

// Units. The zero value is kilograms.
const (
	Kilograms Unit = iota
	Pounds
	Grams
	Ounces
)

func (u Unit) String() string {
	switch u {
	case Kilograms:
		return "kg"
	case Pounds:
		return "lb"
	case Grams:
		return "g"
	case Ounces:
		return "oz"
	}
	return fmt.Sprintf("unit(%d)", uint8(u))
}

// ParseUnit parses "kg", "lb", "g" or "oz" in either case; "" is kg.
func ParseUnit(s string) (Unit, error) {
	switch strings.ToLower(s) {
	case "", "kg":
		return Kilograms, nil
	case "lb":
		return Pounds, nil
	case "g":
		return Grams, nil
	case "oz":
		return Ounces, nil
	}
	return 0, fmt.Errorf("scale: unit %q, want kg, lb, g or oz", s)
}

// unitOf recognises a unit field as sent by a scale (LB, kg, ...)
// without allocating.
func unitOf(b []byte) (Unit, bool) {
	switch len(b) {
	case 1:
		if b[0]|0x20 == 'g' {
			return Grams, true
		}
	case 2:
		switch [2]byte{b[0] | 0x20, b[1] | 0x20} {
		case [2]byte{'k', 'g'}:
			return Kilograms, true
		case [2]byte{'l', 'b'}:
			return Pounds, true
		case [2]byte{'o', 'z'}:
			return Ounces, true
		}
	}
	return 0, false
}

// Grams-per-unit as a fraction num/den, so conversion stays integer.
var perUnit = [...]struct{ num, den int64 }{
	Kilograms: {1000, 1},
	Pounds:    {45359237, 100000},        // 453.59237 g
	Grams:     {1, 1},                    //
	Ounces:    {28349523125, 1000000000}, // 28.349523125 g
}

var (
	errNoDigits = errors.New("no digits in weight")
	errTooLong  = errors.New("weight field too long")
	errBadChar  = errors.New("bad character in weight")
)

// parseMass parses a decimal weight field such as "01.234", " -0.010" or
// "1234" (spaces around and a leading sign allowed) in unit u and returns
// it in grams, rounded half away from zero.
func parseMass(b []byte, u Unit) (int, error) {
	i, j := 0, len(b)
	for i < j && b[i] == ' ' {
		i++
	}
	for j > i && b[j-1] == ' ' {
		j--
	}
	neg := false
	if i < j && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
		for i < j && b[i] == ' ' {
			i++
		}
	}
	var mant int64
	digits, dec := 0, -1
	for ; i < j; i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			if digits > 8 { // keeps the integer conversion far from overflow
				return 0, errTooLong
			}
			mant = mant*10 + int64(c-'0')
			if dec >= 0 {
				dec++
			}
		case c == '.' && dec < 0:
			dec = 0
		default:
			return 0, errBadChar
		}
	}
	if digits == 0 {
		return 0, errNoDigits
	}
	if dec < 0 {
		dec = 0
	}
	f := perUnit[u]
	num := mant * f.num
	den := f.den
	for ; dec > 0; dec-- {
		den *= 10
	}
	g := (num + den/2) / den
	if neg {
		g = -g
	}
	return int(g), nil
}
