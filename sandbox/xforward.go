package sandbox

import (
	"net"
	"strings"
	"sync"

	"maillab/trace/proto/smtp"
)

// ownRelays are the connections this process's relay has open to a
// provider's SMTP server, by the relay's end (its local address): a
// server recognises the sandbox's own relay by them, and only it may tell
// which journey a message is on (XFORWARD).
type ownRelays struct{ addrs sync.Map }

// add registers a relay connection; the function returned forgets it.
func (r *ownRelays) add(local net.Addr) func() {
	key := local.String()
	r.addrs.Store(key, struct{}{})
	return func() { r.addrs.Delete(key) }
}

// has reports whether a client's address is one of the relay's own.
func (r *ownRelays) has(remote net.Addr) bool {
	_, ok := r.addrs.Load(remote.String())
	return ok
}

// ownRelay reports whether a session's client is the sandbox's relay: this
// process's own (by its connection), or another maillab's that proved it
// with a client certificate from the sandbox CA naming a provider's SMTP
// server (two sandboxes run with --only).
func (sb *Sandbox) ownRelay(l *link) bool {
	return sb.relays.has(l.raw.RemoteAddr()) || l.peer != "" && sb.world.IsServerName(l.peer)
}

// verifiedRelay reports whether a session that says HELO/EHLO name is a
// provider's relay, proved: the name is a provider's server and the client
// is the sandbox's own relay. A proved relay takes no share of its
// address. Anyone else naming a server is a client like any other (and
// what it sends is marked as unverified).
func (sb *Sandbox) verifiedRelay(l *link, name string) bool {
	if l == nil || !sb.world.IsServerName(name) || !sb.ownRelay(l) {
		return false
	}
	if l.peer != "" && !strings.EqualFold(l.peer, name) {
		return false // a certificate for another server
	}
	l.seat.exempt()
	return true
}

// xforward handles Postfix's XFORWARD (XFORWARD_README): a trusted
// upstream server passes on what it knows of the message it is about to
// send. Here only IDENT counts, the journey the message began at the
// first provider, so that both providers (and the page) name one message
// one way. Anyone else is refused, as Postfix refuses hosts not listed in
// smtpd_authorized_xforward_hosts.
func (s *smtpSession) xforward(arg string) {
	switch {
	case !s.sb.ownRelay(s.link):
		s.fail(smtp.XForwardDenied)
		return
	case s.state >= smtpMail:
		s.fail(smtp.SenderGiven)
		return
	}
	for _, attr := range strings.Fields(arg) {
		name, value, _ := strings.Cut(attr, "=")
		if strings.EqualFold(name, "IDENT") && validJourney(value) {
			s.forward = value
		}
	}
	s.reply(smtp.XForwardOK)
}

// validJourney reports whether an id may name a journey: what this
// sandbox makes (upper-case hex), and short.
func validJourney(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
