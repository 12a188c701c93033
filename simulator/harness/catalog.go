package harness

import (
	_ "embed"
	"os"
	"path/filepath"
)

// DemoCatalog is the simulated store's catalogue (the contract's CSV).
//
//go:embed demo.csv
var DemoCatalog []byte

// Well-known items of DemoCatalog, for scenarios and shoppers.
const (
	GTINCola    = "5000112637922" // 355 g ± 15
	GTINWine    = "5010477348678" // 1250 g, age restricted
	GTINChair   = "0012345678905" // no_bag
	GTINPencils = "4006381333931" // 180 g ± 10
	GTINBread   = "5012345678900" // 800 g ± 40
)

// WriteDemoCatalog writes DemoCatalog into dir and returns its path.
func WriteDemoCatalog(dir string) (string, error) {
	p := filepath.Join(dir, "catalog.csv")
	return p, os.WriteFile(p, DemoCatalog, 0o644)
}
