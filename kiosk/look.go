package kiosk

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sco-project/sco/devices"
	"github.com/sco-project/sco/protocol"
)

// Shopper-facing prompts. The prompt on the lane state is made of the
// sentences that apply, in this order: the one-off notice, the bagging
// area (unexpected item, item removed, weight mismatch, place the item),
// one sentence per open alert kind that the bagging area does not already
// explain, and, when any alert is open, who is coming. With nothing to say
// it invites the next scan.
const (
	msgWelcome       = "Welcome. Please scan your first item."
	msgNext          = "Please scan your next item, or press finish to pay."
	msgThanks        = "Thank you for shopping with us."
	msgNotRecognised = "Item not recognised. Please scan it again."
	msgSetAside      = "Item not recognised. Please set it aside."
	msgPlace         = "Please place the item in the bagging area."
	msgMismatch      = "The weight does not match the item. Please place only the scanned item in the bagging area."
	msgUnexpected    = "Unexpected item in the bagging area. Please remove it."
	msgRemoved       = "Item removed from the bagging area. Please put it back."
	msgAge           = "This item needs an age check."
	msgHelp          = "You asked for help."
	msgFault         = "This lane has a problem."
	msgCalled        = "An attendant has been called."
	msgPaged         = "Help is on the way."
	msgOnTheWay      = " is on the way."
	msgOnTheWayEta   = " is on the way, about %d s."
	msgHere          = " is here."
	msgClosed        = "This lane is closed. Please use another lane."
	msgFinishAge     = "An attendant must check your age before you can pay."
	msgFinishWait    = "Please wait for the attendant before you pay."
	msgFinishPending = "Please place the item in the bagging area before you pay."
	msgFinishAnomaly = "Please check the bagging area before you pay."
	msgOwnBag        = "Please place your bag in the bagging area."
	msgSkipBag       = "An attendant must approve skipping bagging."
	msgHelpDebounce  = "Help was just cancelled. If you need help, press help again in a moment."
)

// lights is the one table from lane state to tower light:
//
//	idle, shopping   green         free, or shopping normally
//	attention        yellow        prompting the shopper (a nudge)
//	assist           yellow_flash  an alert waits for an attendant
//	out_of_service   red           lane closed by an attendant
//	(any state)      red_flash     a device_fault alert is open
//	offline          off           the daemon's state when it stops
var lights = map[string]devices.LightPattern{
	protocol.StateIdle:         devices.LightGreen,
	protocol.StateShopping:     devices.LightGreen,
	protocol.StateAttention:    devices.LightYellow,
	protocol.StateAssist:       devices.LightYellowFlash,
	protocol.StateOutOfService: devices.LightRed,
	protocol.StateOffline:      devices.LightOff,
}

// LightFor is the tower light for a lane state; an open device_fault
// alert overrides it with red_flash.
func LightFor(state string, deviceFault bool) devices.LightPattern {
	if deviceFault {
		return devices.LightRedFlash
	}
	if l, ok := lights[state]; ok {
		return l
	}
	return devices.LightOff
}

// look derives the lane state, light and prompt from the session. The
// state is, by priority: out_of_service (an attendant closed the lane, or
// it cannot write its journal),
// assist (any alert open), attention (a nudge: notice, bagging-area
// anomaly, wrong weight, or a bag prompt after bag_timeout), shopping (a
// session is open), idle.
func (e *Engine) look() (string, devices.LightPattern, string) {
	s := &e.st
	fault := e.findKind(protocol.KindDeviceFault) != nil
	if e.closed() {
		return protocol.StateOutOfService, LightFor(protocol.StateOutOfService, fault), msgClosed
	}
	var parts []string
	add := func(m string) {
		if m != "" && !slices.Contains(parts, m) {
			parts = append(parts, m)
		}
	}
	add(s.Notice)
	nudge := s.Notice != ""
	if s.OwnBag {
		add(msgOwnBag) // asked for: not a nudge
	}
	switch p := s.Pending; {
	case s.Anomaly != nil && s.Anomaly.Gain:
		add(msgUnexpected)
		nudge = true
	case s.Anomaly != nil:
		add(msgRemoved)
		nudge = true
	case p != nil && p.Mismatch:
		add(msgMismatch)
		nudge = true
	case p != nil:
		add(msgPlace)
		nudge = nudge || p.Prompts > 0
	}
	for _, a := range s.Alerts {
		switch a.Alert.Kind {
		case protocol.KindUnknownItem:
			add(msgSetAside)
		case protocol.KindAgeCheck:
			add(msgAge)
		case protocol.KindHelp:
			add(msgHelp)
		case protocol.KindDeviceFault:
			add(msgFault)
		case protocol.KindSkipBag:
			add(msgSkipBag)
		}
	}
	if len(s.Alerts) > 0 {
		add(assistText(s.Assist))
	}
	state := protocol.StateIdle
	switch {
	case len(s.Alerts) > 0:
		state = protocol.StateAssist
	case s.Session == "":
	case nudge:
		state = protocol.StateAttention
	default:
		state = protocol.StateShopping
	}
	if len(parts) == 0 {
		if s.Session == "" {
			add(msgWelcome)
		} else {
			add(msgNext)
		}
	}
	return state, LightFor(state, fault), strings.Join(parts, " ")
}

// assistText tells the shopper who is coming: "<Name> is here" once the
// attendant arrived, "<Name> is on the way, about 40 s" once they claimed
// the alert (without the seconds when the bridge gave no eta, or 0),
// "Help is on the way" while it is paged, and "An attendant has been
// called" before the bridge answered. It is the lane's only wording for
// it: the shopper screen shows the prompt (and counts the seconds down).
func assistText(as *protocol.Assist) string {
	if as == nil {
		return msgCalled
	}
	who := as.Name
	if who == "" {
		who = as.Attendant
	}
	switch {
	case who == "":
	case as.Status == protocol.AssistArrived:
		return who + msgHere
	case as.Status == protocol.AlertClaimed && as.EtaS != nil && *as.EtaS > 0:
		return who + fmt.Sprintf(msgOnTheWayEta, *as.EtaS)
	case as.Status == protocol.AlertClaimed:
		return who + msgOnTheWay
	}
	return msgPaged
}
