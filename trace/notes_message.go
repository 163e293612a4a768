package trace

import (
	"strings"

	"maillab/trace/i18n"
)

// headerNotes explains header fields (RFC 5322, RFC 2045, RFC 3834).
var headerNotes = map[string]string{
	"from":           "header From: who wrote it, as mail programs show it (MAIL FROM in the envelope may differ)",
	"to":             "header To: who it is for, as shown (RCPT TO in the envelope decides delivery)",
	"cc":             "header Cc: copies, as shown",
	"subject":        "header Subject: the subject line",
	"date":           "header Date: when it was written (RFC 5322 requires it, with From)",
	"message-id":     "header Message-ID: a unique name for this message",
	"received":       "header Received: added by each server on the way (the newest is on top)",
	"return-path":    "header Return-Path: the envelope sender (MAIL FROM), written by the server that delivered it (RFC 5321 4.4); <> marks a bounce",
	"mime-version":   "header MIME-Version: the body follows MIME (RFC 2045)",
	"reply-to":       "header Reply-To: where replies should go",
	"auto-submitted": "header Auto-Submitted: a machine wrote this, not a person, so auto-responders must not answer it (RFC 3834)",
}

// contentTypeNotes explains Content-Type by media type.
var contentTypeNotes = map[string]string{
	"multipart/report":        "header Content-Type: a delivery report in parts: a note for people, the status for programs, the failed message's headers (RFC 6522)",
	"message/delivery-status": "header Content-Type: the machine-readable delivery status, one group of fields per recipient (RFC 3464)",
	"text/rfc822-headers":     "header Content-Type: the headers of the message that failed",
	"":                        "header Content-Type: what the body is, and its charset",
}

// headerNote explains a header field.
func headerNote(p *i18n.Printer, field, value string) string {
	switch field {
	case "content-type":
		mediaType, _, _ := strings.Cut(strings.ToLower(value), ";")
		if n, ok := contentTypeNotes[strings.TrimSpace(mediaType)]; ok {
			return p.Tr(n)
		}
		return p.Tr(contentTypeNotes[""])
	case "content-transfer-encoding":
		return p.Trf("header Content-Transfer-Encoding: how the body is encoded for the trip (%s)", value)
	}
	if n, ok := headerNotes[field]; ok {
		return p.Tr(n)
	}
	return p.Trf("header %s", field)
}

// dsnFields explains the fields of a delivery status (RFC 3464 section 2).
var dsnFields = map[string]string{
	"reporting-mta":     "delivery status: the server that writes this report",
	"arrival-date":      "delivery status: when that server accepted the message",
	"final-recipient":   "delivery status: the recipient this group of fields is about",
	"action":            "delivery status: what happened to it (failed, delayed, delivered, relayed, expanded)",
	"status":            "delivery status: the enhanced status code (RFC 3463): 5.x.x for good, 4.x.x for now",
	"diagnostic-code":   "delivery status: the reply the next server gave, word for word",
	"remote-mta":        "delivery status: the server that refused it",
	"last-attempt-date": "delivery status: when delivery was last tried",
}

// dsnFieldNote explains a line of a message/delivery-status part.
func dsnFieldNote(p *i18n.Printer, line string) string {
	if strings.TrimSpace(line) == "" {
		return p.Tr("blank line: a group of fields ends (the report's, or one recipient's); the next recipient's group, or the part's boundary, follows (RFC 3464)")
	}
	name, _, ok := strings.Cut(line, ":")
	if !ok {
		return p.Tr("delivery status")
	}
	if n, ok := dsnFields[strings.ToLower(strings.TrimSpace(name))]; ok {
		return p.Tr(n)
	}
	return p.Trf("delivery status field %s", name)
}

// actionNotes explains each action of the sandbox.
var actionNotes = map[Action]string{
	Queued:        "the server has taken responsibility for the message: it must deliver it or send a bounce",
	MXLookup:      "on the internet this is a DNS query for the domain's MX record",
	Relayed:       "the next server said 250: the message is its responsibility now",
	Deferred:      "a temporary failure: the message stays queued and is tried again",
	Bounced:       "a permanent failure: the sender gets a bounce (a delivery status notification)",
	Stored:        "the message waits in the mailbox until its owner fetches it",
	Refused:       "the whole message was read and refused: nothing was stored, nothing will be delivered",
	MailboxOpened: "the POP3 server reads the mailbox's list of messages and locks it",
	MessageRead:   "the POP3 server reads the message out of the mailbox",
	Deleted:       "messages marked with DELE are removed at QUIT",
	Abandoned:     "RFC 1939: messages are deleted only after QUIT; a dropped connection deletes nothing",
	LoginDelayed:  "each failed login is answered later than the last (up to 8 seconds), from one address and, past a few failures, from anywhere: six digits take about 90 days to guess, not minutes; an address that logged in as the account before is never slowed",
	LoginQueued:   "guesses at this account from many places wait in one line; rather than keep a login waiting, the server says: try again later (a temporary failure)",
	QueueError:    "the queue on disk could not be updated: after a restart this message may be tried again",
	Elided:        "a long message: the transcript keeps the first 500 lines of each; the servers got every line",
	Closed:        "the connection is closed",
	TLSStarted:    "from here on every line travels encrypted; the lines shown are the plaintext the two ends see",
	Wire:          "all an eavesdropper sees of the lines above: how many records, how big; not a word of what they say",
	Discarded:     "these bytes came before the encryption started, so anyone could have inserted them: the server throws them away (the STARTTLS injection of CVE-2011-0411)",
	AcceptFailing: "the server is out of something (file descriptors, say): it waits a moment and tries again, and the sessions already open go on",
	Unverified:    "this message names a sender of the sandbox, but it came neither from a login nor from that provider's own relay: anyone can write any MAIL FROM. Real providers check with SPF (is this server allowed to send for the domain?), DKIM (a signature of the sending domain) and DMARC (what to do when both fail)",
	Verdict:       "what the server saw this client program do, checked against the RFCs: problems are what servers or mail suffer from; cautions are allowed here but risky elsewhere",
	Dropped:       "this view fell behind (a paused terminal, a slow browser); the servers went on without waiting for it",
}

// actionNote explains an Internal event.
func actionNote(p *i18n.Printer, e *Event) string {
	if n, ok := actionNotes[e.Action]; ok {
		return p.Tr(n)
	}
	return ""
}
