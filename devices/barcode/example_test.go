package barcode_test

import (
	"fmt"

	"github.com/sco-project/sco/devices/barcode"
)

func ExampleDecode() {
	// A deli label: EAN-13 prefix 20, item 12345, price 12.34.
	d, err := barcode.Decode("2012345012349", "]E0", barcode.DefaultLayouts())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.GTIN14, d.ItemRef, d.PriceCents)

	// A mistyped check digit.
	_, err = barcode.Decode("5000112637921", "]E0", nil)
	fmt.Println(err)
	// Output:
	// 02012345000001 12345 1234
	// barcode: "5000112637921": bad check digit, want 2
}

func ExampleExpandUPCE() {
	a, _ := barcode.ExpandUPCE("01259814")
	fmt.Println(a)
	// Output: 012100005984
}
