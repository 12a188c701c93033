package protocol

import "fmt"

var kindText = map[Kind]string{
	KindUnknownItem:    "item not recognised",
	KindBagTimeout:     "item not placed in the bagging area",
	KindWeightMismatch: "weight does not match the item",
	KindUnexpectedItem: "unexpected item in the bagging area",
	KindItemRemoved:    "item removed from the bagging area",
	KindAgeCheck:       "age check",
	KindHelp:           "shopper asked for help",
	KindDeviceFault:    "device fault",
	KindSkipBag:        "shopper skipped bagging an item",
}

// Text is the one human text of a kind, for pages and screens: "unexpected
// item in the bagging area". An unknown kind reads as its name, as pagers
// must show it.
func (k Kind) Text() string {
	if s, ok := kindText[k]; ok {
		return s
	}
	return string(k)
}

// PageText is the human text of a page: "Lane 3: unexpected item in the
// bagging area", with the item's name when the alert has one.
func PageText(a Alert) string {
	s := "Lane " + a.Lane + ": " + a.Kind.Text()
	if a.Item != nil && a.Item.Name != "" {
		s += " (" + a.Item.Name + ")"
	}
	return s
}

// BroadcastText is the text of a lane's own broadcast page, sent while the
// bridge is offline: "Lane 3 (front): shopper asked for help".
func BroadcastText(lane, zone string, k Kind) string {
	return fmt.Sprintf("Lane %s (%s): %s", lane, zone, k.Text())
}
