package kiosk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/devices/barcode"
)

const contractCSV = `gtin,name,price_cents,weight_g,tolerance_g,flags
5000112637922,Cola 330ml,89,355,15,
5010477348678,Red wine 75cl,899,1250,30,age_restricted
0012345678905,Garden chair,2999,0,0,no_bag
`

func parse(t *testing.T, csv string, layouts []barcode.Layout) (*CSVCatalog, error) {
	t.Helper()
	return ParseCatalog(strings.NewReader(csv), "catalog.csv", layouts, 20)
}

// withCheck appends the GS1 check digit to body.
func withCheck(t *testing.T, body string) string {
	t.Helper()
	d, err := barcode.CheckDigit(body)
	require.NoError(t, err)
	return body + string(d)
}

func TestCatalogContractExample(t *testing.T) {
	c, err := parse(t, contractCSV, nil)
	require.NoError(t, err)
	require.Equal(t, 3, c.Len())
	tests := []struct {
		data, aim string
		want      Item
	}{
		{"5000112637922", "]E0", Item{GTIN: "05000112637922", Name: "Cola 330ml", PriceCents: 89, WeightG: 355, ToleranceG: 15}},
		{"5010477348678", "", Item{GTIN: "05010477348678", Name: "Red wine 75cl", PriceCents: 899, WeightG: 1250, ToleranceG: 30, AgeRestricted: true}},
		// UPC-A as 12 digits and as 13 with a leading 0: one GTIN-14.
		{"012345678905", "]E0", Item{GTIN: "00012345678905", Name: "Garden chair", PriceCents: 2999, NoBag: true}},
		{"0012345678905", "]E0", Item{GTIN: "00012345678905", Name: "Garden chair", PriceCents: 2999, NoBag: true}},
		// A GS1-128 element string carrying the cola's GTIN.
		{"0105000112637922", "]C1", Item{GTIN: "05000112637922", Name: "Cola 330ml", PriceCents: 89, WeightG: 355, ToleranceG: 15}},
	}
	for _, tc := range tests {
		it, err := c.Lookup(devices.Scan{Data: tc.data, AIM: tc.aim})
		require.NoError(t, err, tc.data)
		require.Equal(t, tc.want, it, tc.data)
	}
	_, err = c.Lookup(devices.Scan{Data: "5000112637923", AIM: "]E0"})
	require.ErrorContains(t, err, "bad check digit")
	_, err = c.Lookup(devices.Scan{Data: "4006381333931", AIM: "]E0"})
	require.EqualError(t, err, "catalog: 04006381333931 is not in the catalogue")
}

// The default tolerance fills empty and zero tolerance_g; weight_g and
// tolerance_g may be empty; GTIN-8 is accepted; a BOM and spaces are
// ignored; columns may come in any order.
func TestCatalogFormats(t *testing.T) {
	csv := "\ufeffname, gtin ,flags,price_cents,weight_g,tolerance_g\n" +
		`"Crisps, salted",96385074,,120,,` + "\n" +
		"Tea,5000112637922,,300,100,0\n" +
		"Beer,5010477348678,age_restricted|no_bag,199,540,10\n"
	c, err := parse(t, csv, nil)
	require.NoError(t, err)
	it, err := c.Lookup(devices.Scan{Data: "96385074", AIM: "]E4"})
	require.NoError(t, err)
	require.Equal(t, Item{GTIN: "00000096385074", Name: "Crisps, salted", PriceCents: 120, ToleranceG: 20}, it)
	it, _ = c.Lookup(devices.Scan{Data: "5000112637922"})
	require.Equal(t, 20, it.ToleranceG)
	it, _ = c.Lookup(devices.Scan{Data: "5010477348678"})
	require.Equal(t, Item{GTIN: "05010477348678", Name: "Beer", PriceCents: 199, AgeRestricted: true, NoBag: true}, it, "no_bag expects no weight")
}

// Every bad row is an error naming its file and line.
func TestCatalogErrors(t *testing.T) {
	const h = "gtin,name,price_cents,weight_g,tolerance_g,flags\n"
	tests := []struct {
		name, csv, err string
	}{
		{"empty", "", "catalog: catalog.csv:1: empty file, want the header gtin,name,price_cents,weight_g,tolerance_g,flags"},
		{"no header", "5000112637922,Cola,89,355,15,\n", `catalog: catalog.csv:1: unknown column "5000112637922"`},
		{"missing column", "gtin,name,price_cents,weight_g,tolerance_g\n", `catalog: catalog.csv:1: missing column "flags"`},
		{"twice", "gtin,name,price_cents,weight_g,tolerance_g,flags,gtin\n", `catalog: catalog.csv:1: column "gtin" appears twice`},
		{"check digit", h + "5000112637922,Cola,89,355,15,\n5000112637923,Cola,89,355,15,\n", `catalog: catalog.csv:3: gtin "5000112637923": bad check digit, want 2`},
		{"length", h + "50001126379,Cola,89,355,15,\n", `catalog: catalog.csv:2: gtin "50001126379": bad length`},
		{"letters", h + "500011263792X,Cola,89,355,15,\n", `catalog: catalog.csv:2: gtin "500011263792X": `},
		{"duplicate", h + "5000112637922,Cola,89,355,15,\n\n05000112637922,Cola again,89,355,15,\n", "catalog: catalog.csv:4: gtin 05000112637922 is already on line 2"},
		{"duplicate as UPC", h + "012345678905,Chair,1,0,0,no_bag\n0012345678905,Chair,1,0,0,no_bag\n", "catalog: catalog.csv:3: gtin 0012345678905 is already on line 2"},
		{"no name", h + "5000112637922, ,89,355,15,\n", "catalog: catalog.csv:2: name is empty"},
		{"price empty", h + "5000112637922,Cola,,355,15,\n", "catalog: catalog.csv:2: price_cents: is empty"},
		{"price decimal", h + "5000112637922,Cola,0.89,355,15,\n", `catalog: catalog.csv:2: price_cents: "0.89" is not a whole number`},
		{"negative weight", h + "5000112637922,Cola,89,-355,15,\n", "catalog: catalog.csv:2: weight_g: -355 is negative"},
		{"huge tolerance", h + "5000112637922,Cola,89,355,99999999999,\n", "catalog: catalog.csv:2: tolerance_g: 99999999999 is too large"},
		{"flag", h + "5000112637922,Cola,89,355,15,fragile\n", `catalog: catalog.csv:2: flags: unknown flag "fragile", want age_restricted or no_bag`},
		{"fields", h + "5000112637922,Cola,89,355\n", "catalog: catalog.csv:2: 4 fields, want 6"},
		{"quote", h + "5000112637922,\"Cola,89,355,15,\n", "catalog: catalog.csv:2: extraneous or missing \" in quoted-field"},
		{"counts the rest", h + "1,a,1,1,1,\n2,b,1,1,1,\n5000112637922,Cola,89,355,15,\n3,c,1,1,1,\n", `catalog: catalog.csv:2: gtin "1": bad length, 1 digits, want 8, 12, 13 or 14 (and 2 more bad lines)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parse(t, tc.csv, nil)
			require.Nil(t, c)
			require.ErrorContains(t, err, tc.err)
		})
	}
}

func TestLoadCatalogFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "catalog.csv")
	require.NoError(t, os.WriteFile(path, []byte(contractCSV), 0o600))
	c, err := LoadCatalog(path, nil, 20)
	require.NoError(t, err)
	require.Equal(t, 3, c.Len())

	_, err = LoadCatalog(filepath.Join(dir, "nope.csv"), nil, 20)
	require.ErrorContains(t, err, "catalog: open ")
	require.NoError(t, os.WriteFile(path, []byte(contractCSV+"123,x,1,1,1,\n"), 0o600))
	_, err = LoadCatalog(path, nil, 20)
	require.ErrorContains(t, err, path+":5: gtin \"123\"")

	_, err = LoadCatalog(path, []barcode.Layout{{Prefixes: []string{"2"}}}, 20)
	require.ErrorContains(t, err, "catalog: barcode: ")
}

// Variable-measure codes: found by the zeroed GTIN-14 or by item
// reference, with the embedded price or weight applied.
func TestCatalogVariableMeasure(t *testing.T) {
	weightLayout := barcode.Layout{Prefixes: []string{"28"}, ItemDigits: 5, Kind: barcode.KindWeight, ValueDigits: 5, Decimals: 3}
	layouts := append([]barcode.Layout{weightLayout}, barcode.DefaultLayouts()...)
	csv := "gtin,name,price_cents,weight_g,tolerance_g,flags\n" +
		withCheck(t, "201234500000") + ",Cheese by price,0,0,0,\n" +
		withCheck(t, "281111100000") + ",Apples per kg,300,0,25,\n" +
		withCheck(t, "021234500000") + ",Deli (UPC),0,0,0,\n" +
		"5000112637922,Cola 330ml,89,355,15,\n"
	c, err := parse(t, csv, layouts)
	require.NoError(t, err)

	tests := []struct {
		name, data, aim string
		want            Item
	}{
		{"price embedded", withCheck(t, "201234501234"), "]E0",
			Item{GTIN: withCheck(t, "0201234500000"), Name: "Cheese by price", PriceCents: 1234, ToleranceG: 20, Variable: true}},
		{"same item reference, other prefix", withCheck(t, "221234500499"), "]E0",
			Item{GTIN: withCheck(t, "0201234500000"), Name: "Cheese by price", PriceCents: 499, ToleranceG: 20, Variable: true}},
		{"weight embedded: price per kg", withCheck(t, "281111100750"), "",
			Item{GTIN: withCheck(t, "0281111100000"), Name: "Apples per kg", PriceCents: 225, WeightG: 750, ToleranceG: 25, Variable: true}},
		{"UPC number system 2", withCheck(t, "021234500199"), "]E0",
			Item{GTIN: withCheck(t, "0021234500000"), Name: "Deli (UPC)", PriceCents: 199, ToleranceG: 20, Variable: true}},
		{"GS1-128 net weight", "0105000112637922" + "3103000400", "]C1",
			Item{GTIN: "05000112637922", Name: "Cola 330ml", PriceCents: 36, WeightG: 400, ToleranceG: 15, Variable: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it, err := c.Lookup(devices.Scan{Data: tc.data, AIM: tc.aim})
			require.NoError(t, err)
			require.Equal(t, tc.want, it)
		})
	}
	_, err = c.Lookup(devices.Scan{Data: withCheck(t, "209999900100"), AIM: "]E0"})
	require.ErrorContains(t, err, "is not in the catalogue")
}

// The CSV catalogue drives the engine end to end.
func TestCatalogInEngine(t *testing.T) {
	c, err := parse(t, contractCSV, nil)
	require.NoError(t, err)
	l := newLane(t, Policy{})
	l.e.SetCatalog(c)
	l.weigh(0, 0)
	l.scan(1, "5000112637922")
	l.weigh(2, 350)
	st := l.state()
	require.Equal(t, 1, st.Items)
	require.Equal(t, "05000112637922", st.Basket[0].GTIN)
	l.scan(3, "5000112637923")
	require.Contains(t, l.state().Prompt, msgNotRecognised)
}

// Whatever the file holds, ParseCatalog returns an error or a catalogue
// in which every item is found by its own GTIN-14.
func FuzzParseCatalog(f *testing.F) {
	f.Add(contractCSV)
	f.Add("gtin,name,price_cents,weight_g,tolerance_g,flags\n96385074,\"a,b\",1,,,no_bag|age_restricted\n")
	f.Add("\ufeffflags,gtin,name,price_cents,weight_g,tolerance_g\n,2012345000001,x,1,2,3\n")
	f.Fuzz(func(t *testing.T, csv string) {
		c, err := ParseCatalog(strings.NewReader(csv), "f.csv", nil, 20)
		if err != nil {
			require.True(t, strings.HasPrefix(err.Error(), "catalog: "), err.Error())
			return
		}
		for g, it := range c.byGTIN {
			got, err := c.Lookup(devices.Scan{Data: g})
			require.NoError(t, err, g)
			require.Equal(t, it.Name, got.Name)
		}
	})
}
