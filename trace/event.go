// Package trace records what crosses maillab's sockets as a stream of Events,
// explains each line (the annotator) and renders the stream for people and
// programs (colour terminal, plain text, JSON lines, Markdown).
//
// Data flows one way: a Tap on a net.Conn (or an action of the sandbox)
// produces Events, the Annotator adds a Note to each, and a Renderer writes
// them out. Nothing in a transcript is made up: every Event is a line that
// really crossed a socket, or a real action of the sandbox.
//
// Events carry what happened as data: which way a line went (Dir), which
// reply of the servers' catalogue it is (Reply), which command it answers
// (Answers), and for the sandbox's own actions an Action with its Facts.
// Consumers switch on those; nobody parses Line to learn what happened.
// StepOf alone numbers the six steps.
package trace

import (
	"time"

	"maillab/trace/proto"
)

// The protocols a Tap follows.
const (
	SMTP = proto.SMTP
	POP3 = proto.POP3
)

// Kind says what sort of line an Event carries.
type Kind = proto.Kind

// The kinds of Event.
const (
	// Command is a line a client sent: an SMTP or POP3 command, or an
	// answer to a login challenge.
	Command = proto.Command
	// Reply is a line a server sent: a status reply such as "250 2.0.0 OK"
	// or "+OK 2 messages".
	Reply = proto.Reply
	// Data is a line of message content: what a client sends after DATA, or
	// what a POP3 server sends after "+OK" to RETR, TOP, LIST, UIDL or CAPA.
	Data = proto.Data
	// Internal is something no line shows: an action of the sandbox (an MX
	// look-up, a message queued, stored, read), or of a tap (a connection
	// closed, lines left out).
	Internal = proto.Internal
)

// Dir says which way a line crossed the connection.
type Dir string

// The directions of a line.
const (
	FromClient Dir = "client" // the client sent it
	FromServer Dir = "server" // the server sent it
)

// Hop says which leg of the journey an SMTP session is.
type Hop string

// The SMTP hops. A server-side tap learns the hop from HELO/EHLO; lines
// before it have no hop.
const (
	Submission Hop = "submission" // a mail program hands a message to its provider (step 1)
	Relay      Hop = "relay"      // one provider passes a message to another (step 2)
)

// Role says what a party's name is, so that words around it are put in
// the reader's language at the edge, never parsed back out of English.
type Role string

// The roles of a party.
const (
	RoleClient  Role = "client"  // the name is a client's address, as a server saw it
	RoleMailbox Role = "mailbox" // the name is an account whose mailbox is meant
	RoleSelf    Role = "self"    // the name is maillab's own word for a client ("you"), said in the reader's language
)

// Event is one line of a transcript, or one action of the sandbox.
type Event struct {
	Time     time.Time  `json:"time"`
	Proto    proto.Name `json:"proto,omitempty"` // SMTP, POP3, or "" for the sandbox's own actions
	From     string     `json:"from,omitempty"`  // who speaks or acts, e.g. "smtp.sohu.com"
	FromRole Role       `json:"from_role,omitempty"`
	To       string     `json:"to,omitempty"` // who listens, or what is acted on
	ToRole   Role       `json:"to_role,omitempty"`
	Kind     Kind       `json:"kind"`
	Line     string     `json:"line,omitempty"` // the raw line, without its line ending; "" for actions
	Note     string     `json:"note,omitempty"` // what it means (the Annotator writes it)

	Dir     Dir    `json:"dir,omitempty"`     // which way a line went
	Hop     Hop    `json:"hop,omitempty"`     // SMTP: submission or relay
	Session string `json:"session,omitempty"` // the session's id, e.g. "#3"
	TLS     bool   `json:"tls,omitempty"`     // the line crossed the wire encrypted (the Tap sits above TLS)

	// Who: the account the session logged in as, once it has; how its
	// login stands on this line; an account only claimed (a login that
	// failed, a name typed), which is nobody's work.
	Account string      `json:"account,omitempty"`
	Login   proto.Login `json:"login,omitempty"`
	Claimed string      `json:"claimed,omitempty"`

	// What the line is, as the protocol's Follower marked it.
	Verb      string         `json:"verb,omitempty"`    // the command's verb, or of the command a server line answers
	Answers   string         `json:"answers,omitempty"` // server lines: the command they answer
	Reply     proto.Key      `json:"reply,omitempty"`   // server lines: which reply of the catalogue
	Status    string         `json:"status,omitempty"`  // server replies: the SMTP code ("250") or POP3 status ("+OK", "-ERR")
	Final     bool           `json:"final,omitempty"`   // the last line of a server's answer
	Challenge bool           `json:"challenge,omitempty"`
	Secret    bool           `json:"secret,omitempty"` // the line carries (or may carry) a password
	LoggedIn  bool           `json:"logged_in,omitempty"`
	Content   *proto.Content `json:"content,omitempty"` // message lines: where in the message
	Ends      bool           `json:"ends,omitempty"`    // the answer that ends the message's transaction

	// Which message: its journey from MAIL at step 1 to RETR at step 6,
	// the report a bounce is about, the envelope, the recipient of a
	// stored copy.
	Message   string `json:"message,omitempty"`
	BounceOf  string `json:"bounce_of,omitempty"`
	Sender    string `json:"sender,omitempty"`
	Recipient string `json:"recipient,omitempty"`

	Action Action `json:"action,omitempty"` // Internal events: what was done
	Facts  *Facts `json:"facts,omitempty"`  // Internal events: the details
	Repeat bool   `json:"repeat,omitempty"` // the same explanation was given earlier in the session
}

// Client returns the name of the session's client, whichever way the
// line went.
func (e Event) Client() string {
	if e.Dir == FromServer {
		return e.To
	}
	return e.From
}

// ClientRole returns what the client's name is.
func (e Event) ClientRole() Role {
	if e.Dir == FromServer {
		return e.ToRole
	}
	return e.FromRole
}

// Server returns the name of the session's server.
func (e Event) Server() string {
	if e.Dir == FromServer {
		return e.From
	}
	return e.To
}

// Sink receives Events. A Sink must be safe to call from many goroutines.
type Sink func(Event)
