package kiosk

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/devices/barcode"
)

// CSVCatalog is the lane's catalogue, loaded from the CSV file of the
// contract:
//
//	gtin,name,price_cents,weight_g,tolerance_g,flags
//	5000112637922,Cola 330ml,89,355,15,
//	5010477348678,Red wine 75cl,899,1250,30,age_restricted
//	0012345678905,Garden chair,2999,0,0,no_bag
//
// The header is required (columns in any order, each exactly once);
// gtin is a GTIN-8, -12, -13 or -14 with a valid check digit, stored as
// GTIN-14; price_cents, weight_g and tolerance_g are whole non-negative
// numbers (weight_g and tolerance_g may be empty: 0); tolerance_g 0 means
// the policy's default_tolerance_g; flags is a |-separated list of
// age_restricted and no_bag. A GTIN may appear once. A leading UTF-8 byte
// order mark (spreadsheet exports) is ignored.
//
// Variable-measure items (in-store codes, EAN-13 prefixes 20-29 and UPC
// number system 2, as set by the barcode layouts) are listed with their
// value digits zeroed, as barcode.Decode returns the key; they are also
// found by their item reference. For a price-embedded code the embedded
// price is the line's price; for a weight-embedded code the embedded
// weight is the expected bagging weight and price_cents is the price per
// kilogram.
//
// A CSVCatalog is immutable once loaded; a reload builds a new one
// (Engine.SetCatalog), so lookups need no lock.
type CSVCatalog struct {
	layouts []barcode.Layout
	byGTIN  map[string]Item
	byRef   map[string]Item
}

var _ Catalog = (*CSVCatalog)(nil)

// catalogColumns are the header names of the catalogue CSV.
var catalogColumns = []string{"gtin", "name", "price_cents", "weight_g", "tolerance_g", "flags"}

// Catalogue flags.
const (
	FlagAgeRestricted = "age_restricted"
	FlagNoBag         = "no_bag"
)

// LoadCatalog reads and checks the catalogue CSV at path. layouts are the
// variable-measure layouts (nil: barcode.DefaultLayouts; empty: none);
// defaultToleranceG fills tolerance_g where it is empty or 0. An error
// names the file and line, and how many more lines are bad; the lane must
// not start with it.
func LoadCatalog(path string, layouts []barcode.Layout, defaultToleranceG int) (*CSVCatalog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	defer f.Close()
	return ParseCatalog(bufio.NewReader(f), path, layouts, defaultToleranceG)
}

// Bounds of a catalogue line. A name is shown on the shopper screen and
// sent in alerts to every pager; no field of a real catalogue comes near
// them, and a file that does (a 200 MB "name") is refused on the line
// that does it, before it is read into memory.
const (
	MaxNameBytes  = 200  // the name column
	MaxFieldBytes = 256  // any other column
	MaxLineBytes  = 4096 // a whole line
)

// lineLimit passes r through, failing at the first line longer than
// MaxLineBytes, so that encoding/csv never buffers one.
type lineLimit struct {
	r    io.Reader
	line int // lines ended so far
	n    int // bytes of the current line
}

// errLongLine is lineLimit's error.
type errLongLine struct{ line int }

func (e errLongLine) Error() string {
	return fmt.Sprintf("line %d is longer than %d bytes", e.line, MaxLineBytes)
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			l.line++
			l.n = 0
			continue
		}
		if l.n++; l.n > MaxLineBytes {
			return i, errLongLine{l.line + 1}
		}
	}
	return n, err
}

// ParseCatalog is LoadCatalog for CSV from r; name labels the errors.
func ParseCatalog(r io.Reader, name string, layouts []barcode.Layout, defaultToleranceG int) (*CSVCatalog, error) {
	if layouts == nil {
		layouts = barcode.DefaultLayouts()
	}
	for i := range layouts {
		if err := layouts[i].Validate(); err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
	}
	c := &CSVCatalog{layouts: layouts, byGTIN: map[string]Item{}, byRef: map[string]Item{}}
	p := catalogParser{name: name, cat: c, defTol: defaultToleranceG, lineOf: map[string]int{}}
	if err := p.parse(r); err != nil {
		return nil, err
	}
	if p.first != nil {
		if p.bad > 1 {
			return nil, fmt.Errorf("%w (and %d more bad lines)", p.first, p.bad-1)
		}
		return nil, p.first
	}
	return c, nil
}

type catalogParser struct {
	name   string
	cat    *CSVCatalog
	defTol int
	col    map[string]int
	lineOf map[string]int // GTIN-14 -> line, for duplicates
	first  error
	bad    int
}

func (p *catalogParser) errorf(line int, format string, a ...any) error {
	return fmt.Errorf("catalog: %s:%d: %s", p.name, line, fmt.Sprintf(format, a...))
}

func (p *catalogParser) parse(r io.Reader) error {
	cr := csv.NewReader(&lineLimit{r: r})
	cr.FieldsPerRecord = -1 // checked here, to name the line
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return p.errorf(1, "empty file, want the header %s", strings.Join(catalogColumns, ","))
	}
	if err != nil {
		return p.csvError(err)
	}
	if err := p.readHeader(header); err != nil {
		return err
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return p.csvError(err)
		}
		line, _ := cr.FieldPos(0)
		if err := p.row(line, rec); err != nil {
			p.bad++
			if p.first == nil {
				p.first = err
			}
		}
	}
}

func (p *catalogParser) csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return p.errorf(pe.Line, "%v", pe.Err)
	}
	var long errLongLine
	if errors.As(err, &long) {
		return p.errorf(long.line, "longer than %d bytes (a field of a catalogue is at most %d)", MaxLineBytes, MaxFieldBytes)
	}
	return fmt.Errorf("catalog: %s: %w", p.name, err)
}

func (p *catalogParser) readHeader(h []string) error {
	p.col = map[string]int{}
	for i, f := range h {
		f = strings.ToLower(strings.TrimSpace(f))
		if i == 0 {
			f = strings.TrimPrefix(f, "\ufeff")
		}
		if !slices.Contains(catalogColumns, f) {
			return p.errorf(1, "unknown column %q, want the header %s", f, strings.Join(catalogColumns, ","))
		}
		if _, dup := p.col[f]; dup {
			return p.errorf(1, "column %q appears twice", f)
		}
		p.col[f] = i
	}
	for _, f := range catalogColumns {
		if _, ok := p.col[f]; !ok {
			return p.errorf(1, "missing column %q, want the header %s", f, strings.Join(catalogColumns, ","))
		}
	}
	return nil
}

func (p *catalogParser) row(line int, rec []string) error {
	if len(rec) != len(p.col) {
		return p.errorf(line, "%d fields, want %d", len(rec), len(p.col))
	}
	field := func(name string) string { return strings.TrimSpace(rec[p.col[name]]) }
	for _, c := range catalogColumns {
		limit := MaxFieldBytes
		if c == "name" {
			limit = MaxNameBytes
		}
		if n := len(field(c)); n > limit {
			return p.errorf(line, "%s is %d bytes, at most %d", c, n, limit)
		}
	}
	gtin := field("gtin")
	g14, err := barcode.ToGTIN14(gtin)
	if err != nil {
		return p.errorf(line, "gtin %q: %s", gtin, reason(err))
	}
	if prev, dup := p.lineOf[g14]; dup {
		return p.errorf(line, "gtin %s is already on line %d", gtin, prev)
	}
	it := Item{GTIN: g14, Name: field("name")}
	if it.Name == "" {
		return p.errorf(line, "name is empty")
	}
	price, err := number(field("price_cents"), false)
	if err != nil {
		return p.errorf(line, "price_cents: %v", err)
	}
	it.PriceCents = price
	w, err := number(field("weight_g"), true)
	if err != nil {
		return p.errorf(line, "weight_g: %v", err)
	}
	tol, err := number(field("tolerance_g"), true)
	if err != nil {
		return p.errorf(line, "tolerance_g: %v", err)
	}
	it.WeightG, it.ToleranceG = int(w), int(tol)
	if it.ToleranceG == 0 {
		it.ToleranceG = p.defTol
	}
	if f := field("flags"); f != "" {
		for flag := range strings.SplitSeq(f, "|") {
			switch strings.TrimSpace(flag) {
			case FlagAgeRestricted:
				it.AgeRestricted = true
			case FlagNoBag:
				it.NoBag = true
			default:
				return p.errorf(line, "flags: unknown flag %q, want %s or %s", flag, FlagAgeRestricted, FlagNoBag)
			}
		}
	}
	if it.NoBag {
		it.WeightG, it.ToleranceG = 0, 0
	}
	p.lineOf[g14] = line
	p.cat.byGTIN[g14] = it
	// A variable-measure entry is also found by its item reference.
	if g14[0] == '0' {
		if d, err := barcode.Decode(g14[1:], "", p.cat.layouts); err == nil && d.ItemRef != "" {
			p.cat.byRef[p.cat.refKey(d)] = it
		}
	}
	return nil
}

// reason is a barcode error without the repeated input.
func reason(err error) string {
	var be *barcode.Error
	if !errors.As(err, &be) {
		return err.Error()
	}
	if be.Detail == "" {
		return be.Reason.String()
	}
	return be.Reason.String() + ", " + be.Detail
}

const maxCatalogNumber = 1 << 31

// number parses a whole non-negative number; empty is 0 when emptyOK.
func number(s string, emptyOK bool) (int64, error) {
	if s == "" {
		if emptyOK {
			return 0, nil
		}
		return 0, errors.New("is empty")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a whole number", s)
	case n < 0:
		return 0, fmt.Errorf("%d is negative", n)
	case n >= maxCatalogNumber:
		return 0, fmt.Errorf("%d is too large", n)
	}
	return n, nil
}

// refKey is the item-reference key of a variable-measure code: the
// reference qualified by the layout it matched, so that an EAN-13 in-store
// reference and a UPC number-system-2 one do not collide.
func (c *CSVCatalog) refKey(d barcode.Decoded) string {
	code13 := d.GTIN14[1:]
	for i, l := range c.layouts {
		for _, p := range l.Prefixes {
			if strings.HasPrefix(code13, p) {
				return strconv.Itoa(i) + ":" + d.ItemRef
			}
		}
	}
	return d.ItemRef
}

// Len is the number of items.
func (c *CSVCatalog) Len() int { return len(c.byGTIN) }

// Lookup decodes a scan (barcode.Decode with the catalogue's layouts) and
// finds it by GTIN-14, or, for a variable-measure code, by item
// reference; the embedded price or weight is applied to the item.
func (c *CSVCatalog) Lookup(s devices.Scan) (Item, error) {
	d, err := barcode.Decode(s.Data, s.AIM, c.layouts)
	if err != nil {
		return Item{}, err
	}
	it, ok := c.byGTIN[d.GTIN14]
	if !ok && d.ItemRef != "" {
		it, ok = c.byRef[c.refKey(d)]
	}
	if !ok {
		return Item{}, fmt.Errorf("catalog: %s is not in the catalogue", d.GTIN14)
	}
	if d.WeightG >= 0 {
		// price_cents is per kilogram; round half up to the cent.
		it.PriceCents = (it.PriceCents*int64(d.WeightG) + 500) / 1000
		if !it.NoBag {
			it.WeightG = d.WeightG
		}
	}
	if d.PriceCents >= 0 {
		it.PriceCents = d.PriceCents
	}
	return it, nil
}
