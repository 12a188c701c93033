// Command testsummary reads `go test -json` on stdin and prints what a
// person wants to see: one line per package, the full output of every
// failed test, and a closing line "N passed, N failed, N skipped".
// It exits 1 when anything failed, or when no test ran at all.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

func main() {
	if err := mainImpl(); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(1)
	}
}

func mainImpl() error {
	outputs := map[string]*strings.Builder{} // package/test -> output
	var passed, failed, skipped int
	var failedNames []string
	pkgFailed := map[string]bool{}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			fmt.Println(string(line)) // build errors and other plain text
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			b := outputs[key]
			if b == nil {
				b = &strings.Builder{}
				outputs[key] = b
			}
			b.WriteString(e.Output)
		case "pass":
			if e.Test == "" {
				fmt.Printf("ok   %s %.2fs\n", e.Package, e.Elapsed)
			} else {
				passed++
			}
			delete(outputs, key)
		case "skip":
			if e.Test != "" {
				skipped++
			} else {
				fmt.Printf("-    %s (no tests)\n", e.Package)
			}
			delete(outputs, key)
		case "fail":
			if e.Test == "" {
				pkgFailed[e.Package] = true
				fmt.Printf("FAIL %s %.2fs\n", e.Package, e.Elapsed)
				if b := outputs[key]; b != nil {
					fmt.Print(indent(b.String()))
				}
			} else {
				failed++
				failedNames = append(failedNames, e.Package+"."+e.Test)
				if b := outputs[key]; b != nil {
					fmt.Printf("--- FAIL %s.%s\n%s", e.Package, e.Test, indent(b.String()))
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(failedNames) > 0 {
		sort.Strings(failedNames)
		fmt.Println("\nfailed tests:")
		for _, n := range failedNames {
			fmt.Println("  " + n)
		}
	}
	fmt.Printf("\n%d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if failed > 0 || len(pkgFailed) > 0 {
		return fmt.Errorf("%d tests and %d packages failed", failed, len(pkgFailed))
	}
	if passed == 0 {
		return fmt.Errorf("no test ran")
	}
	return nil
}

func indent(s string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString("    " + l)
		}
	}
	return b.String()
}
