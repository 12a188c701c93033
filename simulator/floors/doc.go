// Package floors holds the shipped store floors for kiosk-sim store, as
// files (copy one and put your own rates in it) and built into the
// binary: kiosk-sim store without a floor file plays TwelveLane.
package floors
