package sandbox

import (
	"crypto/tls"
	"net"
	"time"

	"maillab/trace"
	"maillab/trace/i18n"
	"maillab/trace/proto"
)

// handshakeWait bounds a TLS handshake: a client that never finishes one
// holds nothing for long (and less when the server is mostly full).
const (
	handshakeWait     = 10 * time.Second
	loadHandshakeWait = 3 * time.Second
)

// link is a session's connection: the TCP connection, and what the session
// reads and writes (through a Tap when the servers are tapped, through TLS
// once it has started: the Tap sits above TLS, so it records plaintext).
type link struct {
	raw    net.Conn   // the TCP connection
	conn   net.Conn   // what the session reads and writes
	tap    *trace.Tap // nil when not tapped
	secure bool       // TLS is on
	seat   *seat      // what the session counts against (nil: nothing)
	peer   string     // the provider's server a TLS client certificate proved the client to be
}

// newLink wraps an accepted connection, tapped when the servers are.
func (sb *Sandbox) newLink(raw net.Conn, cfg trace.TapConfig) *link {
	l := &link{raw: raw, conn: raw}
	if sb.tapping(cfg.Proto) {
		cfg.Side, cfg.Client, cfg.ClientRole, cfg.Sink = trace.ServerSide, raw.RemoteAddr().String(), trace.RoleClient, sb.Events.Publish
		if !sb.cfg.TapServers {
			cfg.OnlyHop = trace.Relay // the relay hops only (play shows its own sessions itself)
		}
		l.tap = trace.NewTap(raw, cfg)
		l.conn = l.tap
	}
	return l
}

// tapping reports whether sessions of a protocol are recorded.
func (sb *Sandbox) tapping(p proto.Name) bool {
	if !sb.Events.Active() {
		return false
	}
	return sb.cfg.TapServers || sb.cfg.TapRelayIn && p == proto.SMTP
}

// The server hands over what it knows to the link's tap, when there is
// one: the account the session logged in as, the reply it writes next,
// the message a transaction carries, the journeys of a mailbox's messages.

func (l *link) loggedIn(account Address) {
	if l.tap != nil {
		l.tap.SetAccount(account.String())
	}
}

// loggedOut says the session's login is forgotten: TLS starting over
// forgets it (RFC 3207 section 4.2), so later lines are nobody's until
// the next login.
func (l *link) loggedOut() {
	if l.tap != nil {
		l.tap.SetAccount("")
	}
}

func (l *link) replying(key proto.Key) {
	if l.tap != nil {
		l.tap.Replying(key)
	}
}

func (l *link) setMessage(journey string) {
	if l.tap != nil {
		l.tap.SetMessage(journey)
	}
}

func (l *link) setMailbox(owner Address, msgs []MessageInfo) {
	if l.tap == nil {
		return
	}
	journeys := make([]string, len(msgs))
	for i, m := range msgs {
		journeys[i] = m.Journey
	}
	l.tap.SetMailbox(owner.String(), journeys)
}

// startTLS makes the link TLS as the server named host (RFC 3207, RFC
// 2595, RFC 8314's implicit TLS). buffered is plaintext the session had
// read past STARTTLS or STLS: it is thrown away and reported, never
// executed.
func (sb *Sandbox) startTLS(l *link, host string, buffered []byte) error {
	if sb.certs == nil {
		return i18n.Errorf("no certificates")
	}
	cfg, err := sb.certs.ServerConfig(host)
	if err != nil {
		return err
	}
	if len(buffered) > 0 && l.tap != nil {
		l.tap.Discarded(buffered)
	}
	below := l.raw
	var meter *trace.Meter
	if l.tap != nil {
		meter = trace.NewMeter(l.raw)
		below = meter
	}
	tc := tls.Server(below, cfg)
	l.raw.SetDeadline(time.Now().Add(l.seat.handshakeWait()))
	if err := tc.Handshake(); err != nil {
		return i18n.Errorf("TLS handshake: %w", err)
	}
	l.raw.SetDeadline(time.Time{})
	l.secure, l.conn = true, tc
	if name, ok := sb.certs.Proves(tc.ConnectionState()); ok {
		l.peer = name
	}
	if l.tap != nil {
		l.tap.Upgrade(tc, meter)
		l.tap.Handshake(tc.ConnectionState(), cfg.Certificates[0].Leaf, nil)
		l.conn = l.tap
	}
	return nil
}

// close ends the connection: through TLS when it is on, so the client
// gets TLS's close_notify before the TCP connection closes.
func (l *link) close() error { return l.conn.Close() }
