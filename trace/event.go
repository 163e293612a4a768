// Package trace records what crosses maillab's sockets as a stream of Events,
// explains each line (the annotator) and renders the stream for people and
// programs (colour terminal, plain text, JSON lines, Markdown).
//
// Data flows one way: a Tap on a net.Conn (or an internal action of the
// sandbox) produces Events, the Annotator adds a Note to each, and a Renderer
// writes them out. Nothing in a transcript is made up: every Event is a line
// that really crossed a socket, or a real action of the sandbox.
package trace

import (
	"sync"
	"time"
)

// Kind says what sort of line an Event carries.
type Kind string

// The kinds of Event.
const (
	// Command is a line a client sent: an SMTP or POP3 command, or an
	// answer to an AUTH challenge.
	Command Kind = "command"
	// Reply is a line a server sent: a status reply such as "250 2.0.0 OK"
	// or "+OK 2 messages".
	Reply Kind = "reply"
	// Data is a line of message content: what a client sends after DATA, or
	// what a POP3 server sends after "+OK" to RETR, TOP, LIST, UIDL or CAPA.
	Data Kind = "data"
	// Internal is something the sandbox did that no socket shows: an MX
	// look-up, a message queued, stored in a mailbox or read from it.
	Internal Kind = "internal"
)

// Event is one line of a transcript.
type Event struct {
	Time    time.Time `json:"time"`
	Step    int       `json:"step"`  // 1..6 in the six-step flow; 0 outside it
	Proto   string    `json:"proto"` // "SMTP", "POP3", or "" for internal events
	From    string    `json:"from"`  // who speaks, e.g. "smtp.sohu.com"
	To      string    `json:"to"`    // who listens
	Kind    Kind      `json:"kind"`
	Line    string    `json:"line"` // the raw line, without its line ending
	Note    string    `json:"note"` // what the line means
	Session string    `json:"-"`    // a short session label, e.g. "s3 127.0.0.1:53412"
	Ref     string    `json:"-"`    // what an internal event is about, e.g. a queue id
}

// Sink receives Events. A Sink must be safe to call from many goroutines.
type Sink func(Event)

// Hub fans Events out to any number of subscribers. Its zero value is ready
// to use; publishing with no subscriber costs one mutex.
type Hub struct {
	mu   sync.Mutex
	subs map[int]Sink
	next int
}

// Subscribe adds a Sink and returns a function that removes it.
func (h *Hub) Subscribe(s Sink) (cancel func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = make(map[int]Sink)
	}
	id := h.next
	h.next++
	h.subs[id] = s
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs, id)
	}
}

// Publish sends e to every subscriber, in the caller's goroutine. Events
// are delivered one at a time, in the order Publish was called.
func (h *Hub) Publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.subs {
		s(e)
	}
}

// Active reports whether anyone is listening, so producers can skip work.
func (h *Hub) Active() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs) > 0
}
