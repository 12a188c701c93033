package protocol

import (
	"fmt"
	"strings"
)

// Root is the topic root of a store: sco/v1/{store}.
func Root(store string) string { return "sco/" + Version + "/" + store }

// Topic builders. Every topic is lower case.
func LaneStateTopic(store, lane string) string   { return Root(store) + "/lane/" + lane + "/state" }
func LaneAlertTopic(store, lane string) string   { return Root(store) + "/lane/" + lane + "/alert" }
func LaneCommandTopic(store, lane string) string { return Root(store) + "/lane/" + lane + "/command" }
func LaneResultTopic(store, lane string) string {
	return Root(store) + "/lane/" + lane + "/command/result"
}
func LaneAssistTopic(store, lane string) string { return Root(store) + "/lane/" + lane + "/assist" }
func AlertTopic(store, id string) string        { return Root(store) + "/alert/" + id }
func PresenceTopic(store, attendant string) string {
	return Root(store) + "/pager/" + attendant + "/presence"
}
func ProfileTopic(store, attendant string) string {
	return Root(store) + "/pager/" + attendant + "/profile"
}
func PageTopic(store, attendant string) string { return Root(store) + "/pager/" + attendant + "/page" }
func PagerCmdTopic(store, attendant string) string {
	return Root(store) + "/pager/" + attendant + "/cmd"
}
func PagerResultTopic(store, attendant string) string {
	return Root(store) + "/pager/" + attendant + "/result"
}
func BroadcastPageTopic(store string) string { return Root(store) + "/broadcast/page" }
func BridgeStateTopic(store string) string   { return Root(store) + "/bridge/state" }
func LaneCheckoutTopic(store, lane string) string {
	return Root(store) + "/lane/" + lane + "/checkout"
}

// Topic kinds returned by ParseTopic.
const (
	TLaneState     = "lane/state"
	TLaneAlert     = "lane/alert"
	TLaneCommand   = "lane/command"
	TLaneResult    = "lane/command/result"
	TLaneAssist    = "lane/assist"
	TLaneCheckout  = "lane/checkout"
	TAlert         = "alert"
	TPresence      = "pager/presence"
	TProfile       = "pager/profile"
	TPage          = "pager/page"
	TPagerCmd      = "pager/cmd"
	TPagerResult   = "pager/result"
	TBroadcastPage = "broadcast/page"
	TBridgeState   = "bridge/state"
)

// Topic is a parsed topic name.
type Topic struct {
	Store string
	Kind  string // one of the T... constants
	ID    string // the lane, attendant or alert id; "" for store-wide topics
}

// ParseTopic splits a topic under sco/v1/{store}/ into its parts.
func ParseTopic(topic string) (Topic, error) {
	p := strings.Split(topic, "/")
	if len(p) < 4 || p[0] != "sco" || p[1] != Version {
		return Topic{}, fmt.Errorf("topic %q is not under sco/%s/{store}/", topic, Version)
	}
	t := Topic{Store: p[2]}
	rest := p[3:]
	switch {
	case len(rest) == 3 && rest[0] == "lane" && rest[2] == "state":
		t.Kind, t.ID = TLaneState, rest[1]
	case len(rest) == 3 && rest[0] == "lane" && rest[2] == "alert":
		t.Kind, t.ID = TLaneAlert, rest[1]
	case len(rest) == 3 && rest[0] == "lane" && rest[2] == "command":
		t.Kind, t.ID = TLaneCommand, rest[1]
	case len(rest) == 4 && rest[0] == "lane" && rest[2] == "command" && rest[3] == "result":
		t.Kind, t.ID = TLaneResult, rest[1]
	case len(rest) == 3 && rest[0] == "lane" && rest[2] == "assist":
		t.Kind, t.ID = TLaneAssist, rest[1]
	case len(rest) == 3 && rest[0] == "lane" && rest[2] == "checkout":
		t.Kind, t.ID = TLaneCheckout, rest[1]
	case len(rest) == 2 && rest[0] == "alert":
		t.Kind, t.ID = TAlert, rest[1]
	case len(rest) == 3 && rest[0] == "pager" && rest[2] == "presence":
		t.Kind, t.ID = TPresence, rest[1]
	case len(rest) == 3 && rest[0] == "pager" && rest[2] == "profile":
		t.Kind, t.ID = TProfile, rest[1]
	case len(rest) == 3 && rest[0] == "pager" && rest[2] == "page":
		t.Kind, t.ID = TPage, rest[1]
	case len(rest) == 3 && rest[0] == "pager" && rest[2] == "cmd":
		t.Kind, t.ID = TPagerCmd, rest[1]
	case len(rest) == 3 && rest[0] == "pager" && rest[2] == "result":
		t.Kind, t.ID = TPagerResult, rest[1]
	case len(rest) == 2 && rest[0] == "broadcast" && rest[1] == "page":
		t.Kind = TBroadcastPage
	case len(rest) == 2 && rest[0] == "bridge" && rest[1] == "state":
		t.Kind = TBridgeState
	default:
		return Topic{}, fmt.Errorf("topic %q is not a v1 topic", topic)
	}
	if t.ID == "" && t.Kind != TBroadcastPage && t.Kind != TBridgeState {
		return Topic{}, fmt.Errorf("topic %q has an empty id", topic)
	}
	return t, nil
}
