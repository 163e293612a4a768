package trace

import (
	"fmt"
	"strings"
	"time"
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
	QueueError    Action = "queue-error"    // the relay queue on disk could not be updated
	Elided        Action = "elided"         // lines of a long message not shown
	Closed        Action = "closed"         // a connection closed
	Dropped       Action = "dropped"        // a consumer could not keep up and missed events
	TLSStarted    Action = "tls"            // a TLS handshake finished: what follows is encrypted
	Wire          Action = "wire"           // what an eavesdropper sees of encrypted lines: record sizes
	Discarded     Action = "discarded"      // plaintext sent after STARTTLS, thrown away unread
)

// Actions lists every action, for tests that each one is explained.
var Actions = []Action{
	Queued, MXLookup, Relayed, Deferred, Bounced, Stored, Refused,
	MailboxOpened, MessageRead, Deleted, Abandoned, LoginDelayed,
	QueueError, Elided, Closed, Dropped, TLSStarted, Wire, Discarded,
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
	Recipients []string      `json:"recipients,omitempty"`  // who could not be reached (bounced)
	Client     string        `json:"client,omitempty"`      // the client address (login-delayed)
	Viewer     string        `json:"viewer,omitempty"`      // who missed events (dropped)
	TLSVersion string        `json:"tls_version,omitempty"` // tls: e.g. "TLS 1.3"
	Cipher     string        `json:"cipher,omitempty"`      // tls: the cipher suite
	Subject    string        `json:"subject,omitempty"`     // tls: the certificate's name
	Issuer     string        `json:"issuer,omitempty"`      // tls: who signed it
	Verified   string        `json:"verified,omitempty"`    // tls: "verified", or why not

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

// Describe returns the line shown for e: the line itself, or for an
// Internal event the sentence its action and facts make.
func Describe(e Event) string {
	if e.Kind != Internal {
		return e.Line
	}
	f := facts(e)
	switch e.Action {
	case Queued:
		return fmt.Sprintf("%s belongs to another provider: queued %s for relay", f.Domain, f.QueueID)
	case MXLookup:
		where := ""
		if f.Addr != "" {
			where = " (" + f.Addr + ")"
		}
		return fmt.Sprintf("MX look-up: %s is served by %s%s; relaying %s there", f.Domain, f.Peer, where, f.QueueID)
	case Relayed:
		return fmt.Sprintf("relayed %s to %s: %d of %s accepted", f.QueueID, f.Domain, f.Count, Count(f.Total, "recipient"))
	case Deferred:
		return fmt.Sprintf("delivery of %s to %s deferred (attempt %d): %s; next try in %s", f.QueueID, f.Domain, f.Attempt, f.Reason, f.Wait)
	case Bounced:
		return fmt.Sprintf("%s undeliverable to %s: %s", f.QueueID, strings.Join(f.Recipients, ", "), f.Reason)
	case Stored:
		return fmt.Sprintf("stored %s in %s's mailbox as message %s (%s)", f.QueueID, f.Mailbox, f.StoreID, Count(int(f.Size), "octet"))
	case Refused:
		return fmt.Sprintf("message not accepted (%s read): %s", Count(int(f.Size), "octet"), f.Reason)
	case MailboxOpened:
		return fmt.Sprintf("opened and locked %s's mailbox: %s, %s", f.Mailbox, Count(f.Count, "message"), Count(int(f.Size), "octet"))
	case MessageRead:
		return fmt.Sprintf("read message %d (%s, %s) from %s's mailbox", f.Number, f.StoreID, Count(int(f.Size), "octet"), f.Mailbox)
	case Deleted:
		return fmt.Sprintf("deleted %s from %s's mailbox", Count(f.Count, "message"), f.Mailbox)
	case Abandoned:
		return fmt.Sprintf("the session ended without QUIT: nothing deleted, %s's mailbox unlocked", f.Mailbox)
	case LoginDelayed:
		return fmt.Sprintf("answered the failed login for %s from %s after %s (%s in a row)", f.Mailbox, f.Client, f.Wait, Count(f.Count, "failure"))
	case QueueError:
		return "queue file not updated: " + f.Reason
	case Elided:
		return fmt.Sprintf("… %s more (%s) not shown", Count(f.Count, "line"), Size(f.Size))
	case Closed:
		return "connection closed"
	case TLSStarted:
		return fmt.Sprintf("TLS started: %s, %s; certificate %s issued by %s (%s)", f.TLSVersion, f.Cipher, f.Subject, f.Issuer, f.Verified)
	case Wire:
		return fmt.Sprintf("on the wire: → %s (%s), ← %s (%s) of ciphertext", Count(f.Count, "TLS record"), Count(int(f.Size), "octet"),
			Count(f.ReplyRecords, "record"), Count(int(f.ReplyOctets), "octet"))
	case Discarded:
		return fmt.Sprintf("discarded %s sent before the handshake, unread: %s", Count(int(f.Size), "octet"), f.Reason)
	case Dropped:
		return fmt.Sprintf("%s missed %s: it could not keep up, and the servers never wait for it", f.Viewer, Count(f.Count, "event"))
	}
	return string(e.Action)
}

// Count writes "1 message" or "2,500 messages".
func Count(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return thousands(int64(n)) + " " + word + "s"
}

// thousands writes n with comma separators: 690,000.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Size writes an amount of octets for people: "512 octets", "64 KiB", "50 MB".
func Size(n int64) string {
	switch {
	case n < 10<<10:
		return Count(int(n), "octet")
	case n < 10<<20:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d MB", n/1_000_000)
}
