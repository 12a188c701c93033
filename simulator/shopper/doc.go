// Package shopper runs random shoppers against a simulated lane, from a
// seed, with realistic rates of trouble: most items are scanned and bagged
// without fuss; a few are not bagged, weigh wrong, do not scan, are lifted
// back out, or are joined by a handbag in the bagging area; some baskets
// hold age-restricted items and some shoppers press help. A shopper who
// gets stuck waits for the attendant, or fixes the cause themself, as
// people do. The demo and the load benchmarks use it.
package shopper
