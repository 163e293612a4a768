package class

import (
	"strings"

	"maillab/trace"
)

// journey is how far one message got, by the servers' events on it.
type journey struct {
	student string // whose session sent it
	to      string // its first recipient, as RCPT was accepted
	step    int
	fate    Fate
	reason  string
}

// journeys keeps the latest messages; past its size the oldest are
// forgotten.
type journeys struct {
	byID  map[string]*journey
	order []string // ids, oldest first
	limit int
}

func newJourneys(limit int) *journeys {
	return &journeys{byID: map[string]*journey{}, limit: limit}
}

// get returns a message's journey, making it.
func (js *journeys) get(id string) *journey {
	j := js.byID[id]
	if j == nil {
		if len(js.order) >= js.limit {
			delete(js.byID, js.order[0])
			js.order = js.order[1:]
		}
		j = &journey{}
		js.byID[id] = j
		js.order = append(js.order, id)
	}
	return j
}

// find returns a message's journey, or nil.
func (js *journeys) find(id string) *journey {
	if id == "" {
		return nil
	}
	return js.byID[id]
}

// fateRank orders the fates: a message's fate only moves forward.
var fateRank = map[Fate]int{Sending: 1, Accepted: 2, Refused: 2, Queued: 3, Deferred: 4, Bounced: 5, Delivered: 5, Retrieved: 6}

// follow moves a message's journey on from one of its events.
func (r *Room) follow(e trace.Event) {
	if e.Message == "" {
		return
	}
	j := r.trips.find(e.Message)
	if j == nil {
		if e.Hop != trace.Submission {
			return // a journey is followed from its submission on
		}
		j = r.trips.get(e.Message)
	}
	if e.Recipient != "" && j.to == "" && trace.StepOf(e) == 1 {
		j.to = trace.Visible(e.Recipient)
	}
	if step := trace.StepOf(e); step > j.step {
		j.step = step
	}
	fate, reason := fateOf(e)
	if fate != "" && fateRank[fate] >= fateRank[j.fate] {
		j.fate = fate
		if reason != "" || fate != Deferred {
			j.reason = reason
		}
	}
}

// fateOf is what an event says became of its message, and why.
func fateOf(e trace.Event) (Fate, string) {
	reason := ""
	if e.Facts != nil {
		reason = trace.Visible(e.Facts.Reason)
	}
	switch e.Action {
	case trace.Queued:
		return Queued, ""
	case trace.Deferred:
		return Deferred, reason
	case trace.Bounced:
		return Bounced, reason
	case trace.Refused:
		return Refused, reason
	case trace.Stored:
		return Delivered, ""
	case trace.MessageRead:
		return Retrieved, ""
	}
	switch {
	case e.Kind != trace.Reply || !e.Final || e.Hop != trace.Submission:
		return "", ""
	case e.Ends && strings.HasPrefix(e.Status, "2"):
		return Accepted, ""
	case e.Ends:
		return Refused, trace.Visible(e.Line)
	case strings.HasPrefix(e.Status, "2") && e.Verb == "MAIL":
		return Sending, ""
	}
	return "", ""
}
