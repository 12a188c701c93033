package quality

import (
	"fmt"
	"strconv"
	"strings"
)

// product is one line of the store's shelf: what the catalogue says and
// what the product really weighs.
type product struct {
	name  string
	price int64   // cents
	mean  float64 // true weight of a unit, grams (0: no_bag)
	sd    float64 // unit-to-unit spread, grams
	// catWeight and catTol are the catalogue's weight_g and tolerance_g
	// (0: unknown weight, and the policy's default tolerance).
	catWeight, catTol int
	age, noBag        bool
	heavy             bool // the shopper leaves it in the trolley: skip bagging
	gtin              string
}

// off says whether the catalogue weight is wrong (more than 4% from the
// true weight): the lane alarms on it until it has learned the truth.
func (p *product) off() bool {
	return p.catWeight > 0 && abs(float64(p.catWeight)-p.mean) > 0.04*p.mean
}

// baggable: the shopper puts it in the bagging area.
func (p *product) baggable() bool { return !p.noBag && !p.heavy }

// shelf is the quality run's store: everyday products, three of whose
// catalogue weights are 5-10% off, two of unknown weight (loose bakery),
// two heavy packs shoppers leave in the trolley, a no_bag item and two
// age-restricted ones.
func shelf() []*product {
	ps := []*product{
		{name: "Cola 330ml", price: 89, mean: 355, sd: 2, catWeight: 355, catTol: 15},
		{name: "Water 1.5l", price: 65, mean: 1560, sd: 6, catWeight: 1560, catTol: 25},
		{name: "Milk 1l", price: 109, mean: 1065, sd: 5, catWeight: 1065, catTol: 25},
		{name: "Butter 250g", price: 259, mean: 262, sd: 2, catWeight: 262, catTol: 15},
		{name: "Cheddar 400g", price: 399, mean: 420, sd: 4, catWeight: 420, catTol: 20},
		{name: "Eggs x6", price: 219, mean: 420, sd: 9, catWeight: 420, catTol: 30},
		{name: "Cereal 500g", price: 289, mean: 560, sd: 4, catWeight: 560, catTol: 20},
		{name: "Pasta 500g", price: 129, mean: 515, sd: 3, catWeight: 515, catTol: 15},
		{name: "Rice 1kg", price: 199, mean: 1020, sd: 5, catWeight: 1020, catTol: 25},
		{name: "Tomato soup", price: 99, mean: 450, sd: 3, catWeight: 450, catTol: 15},
		{name: "Baked beans", price: 89, mean: 465, sd: 3, catWeight: 465, catTol: 15},
		{name: "Coffee 200g", price: 549, mean: 520, sd: 5, catWeight: 520, catTol: 20},
		{name: "Tea x80", price: 329, mean: 270, sd: 3, catWeight: 270, catTol: 15},
		{name: "Chocolate bar", price: 149, mean: 105, sd: 1.5, catWeight: 105, catTol: 10},
		{name: "Crisps 150g", price: 179, mean: 165, sd: 2, catWeight: 165, catTol: 15},
		{name: "Shampoo 400ml", price: 449, mean: 430, sd: 4, catWeight: 430, catTol: 20},
		{name: "Toothpaste", price: 199, mean: 130, sd: 2, catWeight: 130},
		{name: "Batteries AA x4", price: 599, mean: 110, sd: 1, catWeight: 110, catTol: 10},
		{name: "Greeting card", price: 299, mean: 30, sd: 1, catWeight: 30},
		{name: "Razor blades", price: 1299, mean: 95, sd: 1, catWeight: 95, catTol: 10},
		{name: "Olive oil 1l", price: 899, mean: 1380, sd: 6, catWeight: 1380, catTol: 30},
		// Catalogue weights 5-10% off.
		{name: "Yoghurt x4", price: 229, mean: 540, sd: 4, catWeight: 500, catTol: 20},        // 8% heavier
		{name: "Orange juice 1l", price: 249, mean: 1110, sd: 5, catWeight: 1050, catTol: 25}, // 5.7%
		{name: "Dish soap", price: 189, mean: 495, sd: 3, catWeight: 450, catTol: 20},         // 10%
		// Weight unknown to the catalogue.
		{name: "Loose bread", price: 150, mean: 800, sd: 35},
		{name: "Croissant", price: 90, mean: 62, sd: 5},
		// Age-restricted.
		{name: "Red wine 75cl", price: 899, mean: 1250, sd: 10, catWeight: 1250, catTol: 30, age: true},
		{name: "Beer x4", price: 649, mean: 1900, sd: 12, catWeight: 1900, catTol: 40, age: true},
		// Left in the trolley.
		{name: "Water 6x1.5l", price: 349, mean: 9300, sd: 30, catWeight: 9300, catTol: 60, heavy: true},
		{name: "Cat litter 10kg", price: 799, mean: 10100, sd: 50, catWeight: 10100, catTol: 80, heavy: true},
		{name: "Garden chair", price: 2999, noBag: true},
	}
	for i, p := range ps {
		p.gtin = gtin13(fmt.Sprintf("50%010d", 1000+i))
	}
	return ps
}

// gtin13 appends the check digit to 12 digits.
func gtin13(d12 string) string {
	sum := 0
	for i, c := range d12 {
		n := int(c - '0')
		if i%2 == 1 {
			n *= 3
		}
		sum += n
	}
	return d12 + strconv.Itoa((10-sum%10)%10)
}

// catalogCSV is the shelf as the lane's catalogue file.
func catalogCSV(ps []*product) string {
	var b strings.Builder
	b.WriteString("gtin,name,price_cents,weight_g,tolerance_g,flags\n")
	for _, p := range ps {
		var flags []string
		if p.age {
			flags = append(flags, "age_restricted")
		}
		if p.noBag {
			flags = append(flags, "no_bag")
		}
		fmt.Fprintf(&b, "%s,%s,%d,%d,%d,%s\n", p.gtin, p.name, p.price, p.catWeight, p.catTol, strings.Join(flags, "|"))
	}
	return b.String()
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
