package trace

import (
	"time"

	"maillab/trace/i18n"
)

// Action is something the sandbox (or a tap) did that no line shows.
type Action string

// The actions. Each has a sentence (Describe), a note and a step.
const (
	Queued        Action = "queued"         // accepted for another provider: in the relay queue
	MXLookup      Action = "mx-lookup"      // the relay found the next hop for a domain
	Relayed       Action = "relayed"        // the next hop said 250 to the message
	Deferred      Action = "deferred"       // a relay attempt failed for now; retried later
	Bounced       Action = "bounced"        // undeliverable: the sender gets a report
	Stored        Action = "stored"         // written to a mailbox
	Refused       Action = "refused"        // a message read to its end and not accepted
	MailboxOpened Action = "mailbox-opened" // a POP3 login locked and listed a mailbox
	MessageRead   Action = "message-read"   // a POP3 server read a message out of a mailbox
	Deleted       Action = "deleted"        // messages marked with DELE removed at QUIT
	Abandoned     Action = "abandoned"      // a POP3 session ended without QUIT: nothing deleted
	LoginDelayed  Action = "login-delayed"  // a failed login was answered late, against guessing
	LoginQueued   Action = "login-queued"   // a login was not tried: guesses at the account are queued
	QueueError    Action = "queue-error"    // the relay queue on disk could not be updated
	Elided        Action = "elided"         // lines of a long message not shown
	Closed        Action = "closed"         // a connection closed
	Dropped       Action = "dropped"        // a consumer could not keep up and missed events
	TLSStarted    Action = "tls"            // a TLS handshake finished: what follows is encrypted
	Wire          Action = "wire"           // what an eavesdropper sees of encrypted lines: record sizes
	Discarded     Action = "discarded"      // plaintext sent after STARTTLS, thrown away unread
	AcceptFailing Action = "accept-failing" // a listener cannot accept connections for now; it keeps trying
	Unverified    Action = "unverified"     // a message claims a sender of the sandbox that nothing proved
	Verdict       Action = "verdict"        // a session ended: what its client did wrong or risky (Facts.Findings)
)

// Actions lists every action, for tests that each one is explained.
var Actions = []Action{
	Queued, MXLookup, Relayed, Deferred, Bounced, Stored, Refused,
	MailboxOpened, MessageRead, Deleted, Abandoned, LoginDelayed, LoginQueued,
	QueueError, Elided, Closed, Dropped, TLSStarted, Wire, Discarded, AcceptFailing, Unverified, Verdict,
}

// Facts are the details of an action; which fields are set depends on it.
type Facts struct {
	QueueID    string        `json:"queue_id,omitempty"`    // the id of the 250 reply that accepted the message
	Mailbox    string        `json:"mailbox,omitempty"`     // whose mailbox, user@domain
	StoreID    string        `json:"store_id,omitempty"`    // the message's id in the mailbox (its UIDL)
	Number     int           `json:"number,omitempty"`      // a POP3 message number
	Domain     string        `json:"domain,omitempty"`      // where a relay goes
	Peer       string        `json:"peer,omitempty"`        // the next hop's server
	Addr       string        `json:"addr,omitempty"`        // where it listens, host:port
	Size       int64         `json:"size,omitempty"`        // octets
	Count      int           `json:"count,omitempty"`       // messages, recipients, lines, failures or events, as the action says
	Total      int           `json:"total,omitempty"`       // recipients in all (relayed)
	Attempt    int           `json:"attempt,omitempty"`     // which relay attempt
	Wait       time.Duration `json:"wait,omitempty"`        // until the next try, or how long a login was delayed
	Reason     string        `json:"reason,omitempty"`      // the reply or error that decided it
	Why        error         `json:"-"`                     // the error, when it is maillab's own: put into words where shown
	Recipients []string      `json:"recipients,omitempty"`  // who could not be reached (bounced)
	Client     string        `json:"client,omitempty"`      // the client address (login-delayed)
	Viewer     string        `json:"viewer,omitempty"`      // who missed events (dropped)
	TLSVersion string        `json:"tls_version,omitempty"` // tls: e.g. "TLS 1.3"
	Cipher     string        `json:"cipher,omitempty"`      // tls: the cipher suite
	Subject    string        `json:"subject,omitempty"`     // tls: the certificate's name
	Issuer     string        `json:"issuer,omitempty"`      // tls: who signed it
	Verified   string        `json:"verified,omitempty"`    // tls: "verified", or why not
	Sender     string        `json:"sender,omitempty"`      // unverified: the sender the message claims
	Findings   []Finding     `json:"findings,omitempty"`    // verdict: what the client did wrong (Count: how many problems)

	ReplyRecords int   `json:"reply_records,omitempty"` // wire: the server's TLS records (Count, Size: the client's)
	ReplyOctets  int64 `json:"reply_octets,omitempty"`  // wire: their octets
}

// facts returns e's Facts, or empty ones, so a sentence never panics.
func facts(e Event) *Facts {
	if e.Facts == nil {
		return &Facts{}
	}
	return e.Facts
}

// DescribeIn returns the line shown for e in p's language: the line
// itself, or for an Internal event the sentence its action and facts make.
func DescribeIn(p *i18n.Printer, e Event) string {
	if e.Kind != Internal {
		return e.Line
	}
	p = i18n.Or(p)
	f := facts(e)
	switch e.Action {
	case Queued:
		return p.Trf("%s belongs to another provider: queued %s for relay", f.Domain, f.QueueID)
	case MXLookup:
		if f.Addr != "" {
			return p.Trf("MX look-up: %s is served by %s (%s); relaying %s there", f.Domain, f.Peer, f.Addr, f.QueueID)
		}
		return p.Trf("MX look-up: %s is served by %s; relaying %s there", f.Domain, f.Peer, f.QueueID)
	case Relayed:
		return p.Trf("relayed %s to %s: %s of %s accepted", f.QueueID, f.Domain, i18n.Thousands(int64(f.Count)), p.Count(f.Total, "recipient"))
	case Deferred:
		return p.Trf("delivery of %s to %s deferred (attempt %s): %s; next try in %s", f.QueueID, f.Domain, i18n.Thousands(int64(f.Attempt)), f.ReasonIn(p), f.Wait)
	case Bounced:
		return p.Trf("%s undeliverable to %s: %s", f.QueueID, p.Join(f.Recipients), f.Reason)
	case Stored:
		return p.Trf("stored %s in %s's mailbox as message %s (%s)", f.QueueID, f.Mailbox, f.StoreID, p.Count(int(f.Size), "octet"))
	case Refused:
		return p.Trf("message not accepted (%s read): %s", p.Count(int(f.Size), "octet"), f.Reason)
	case MailboxOpened:
		return p.Trf("opened and locked %s's mailbox: %s, %s", f.Mailbox, p.Count(f.Count, "message"), p.Count(int(f.Size), "octet"))
	case MessageRead:
		return p.Trf("read message %s (%s, %s) from %s's mailbox", i18n.Thousands(int64(f.Number)), f.StoreID, p.Count(int(f.Size), "octet"), f.Mailbox)
	case Deleted:
		return p.Trf("deleted %s from %s's mailbox", p.Count(f.Count, "message"), f.Mailbox)
	case Abandoned:
		return p.Trf("the session ended without QUIT: nothing deleted, %s's mailbox unlocked", f.Mailbox)
	case LoginDelayed:
		return p.Trf("answered the failed login for %s from %s after %s (%s in a row)", f.Mailbox, f.Client, f.Wait, p.Count(f.Count, "failure"))
	case LoginQueued:
		return p.Trf("did not try the login for %s from %s: %s at this account lately, so its guesses wait in line; try again later", f.Mailbox, f.Client, p.Count(f.Count, "failure"))
	case QueueError:
		return p.Trf("queue file not updated: %s", f.ReasonIn(p))
	case Elided:
		return p.Trf("… %s more (%s) not shown", p.Count(f.Count, "line"), p.Size(f.Size))
	case Closed:
		return p.Tr("connection closed")
	case TLSStarted:
		return p.Trf("TLS started: %s, %s; certificate %s issued by %s (%s)", f.TLSVersion, f.Cipher, f.Subject, f.Issuer, f.verifiedIn(p))
	case Wire:
		return p.Trf("on the wire: → %s (%s), ← %s (%s) of ciphertext", p.Count(f.Count, "TLS record"), p.Count(int(f.Size), "octet"),
			p.Count(f.ReplyRecords, "record"), p.Count(int(f.ReplyOctets), "octet"))
	case Discarded:
		return p.Trf("discarded %s sent before the handshake, unread: %s", p.Count(int(f.Size), "octet"), f.Reason)
	case Dropped:
		return p.Trf("%s missed %s: it could not keep up, and the servers never wait for it", f.Viewer, p.Count(f.Count, "event"))
	case AcceptFailing:
		return p.Trf("%s cannot take new connections for now (%s); it keeps trying", e.From, f.ReasonIn(p))
	case Unverified:
		return p.Trf("%s accepted mail from <%s> that nothing proved: %s", e.From, f.Sender, f.ReasonIn(p))
	case Verdict:
		return verdictIn(p, f.Findings)
	}
	return string(e.Action)
}

// ReasonIn is why something failed, in p's language: maillab's own error
// put into words; a server's reply is protocol text and stays as it is.
func (f *Facts) ReasonIn(p *i18n.Printer) string {
	if f.Why != nil {
		return i18n.TranslateError(p, f.Why)
	}
	return f.Reason
}

// verifiedIn says whether a certificate was verified, in p's language:
// "verified", the server's own, or "not verified" and why.
func (f *Facts) verifiedIn(p *i18n.Printer) string {
	if f.Verified == notVerified {
		return p.Trf("not verified: %s", f.ReasonIn(p))
	}
	return p.Tr(f.Verified)
}
