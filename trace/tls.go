package trace

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"strings"
	"sync"

	"maillab/trace/i18n"
	"maillab/trace/proto"
)

// TLSFacts describes a TLS handshake for an Event: its version, cipher
// suite and the server's certificate (cert, or the peer's when nil), and
// whether the client verified it.
func TLSFacts(state tls.ConnectionState, cert *x509.Certificate, verifyErr error) *Facts {
	f := &Facts{TLSVersion: tls.VersionName(state.Version), Cipher: tls.CipherSuiteName(state.CipherSuite), Verified: i18n.N("verified")}
	if cert == nil && len(state.PeerCertificates) > 0 {
		cert = state.PeerCertificates[0]
	}
	if cert != nil {
		f.Subject, f.Issuer = name(cert.Subject.CommonName), name(cert.Issuer.CommonName)
	}
	if verifyErr != nil {
		f.Verified, f.Reason, f.Why = notVerified, verifyErr.Error(), verifyErr
	}
	return f
}

// notVerified is the fact of a certificate that did not verify (Reason
// says why).
const notVerified = "not verified"

func name(s string) string {
	if s == "" {
		return "(no name)"
	}
	return s
}

// Verify checks a peer's certificate chain against roots for host, the
// way a client does, and returns why it fails (nil: it is trusted).
func Verify(state tls.ConnectionState, host string, roots *x509.CertPool) error {
	if len(state.PeerCertificates) == 0 {
		return errNoCertificate
	}
	inter := x509.NewCertPool()
	for _, c := range state.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := state.PeerCertificates[0].Verify(x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter})
	return err
}

type tlsError string

func (e tlsError) Error() string { return string(e) }

const errNoCertificate = tlsError("no certificate")

// Upgrade puts the Tap above a TLS connection made on the connection it
// tapped (after STARTTLS or STLS, or at once for implicit TLS): it reads
// and writes plaintext through conn from now on, marks every line
// encrypted, and forgets what the conversation said before, as the
// protocol does (RFC 3207, RFC 2595). meter, when not nil, sits below TLS
// and tells what an eavesdropper sees: the records' sizes.
func (t *Tap) Upgrade(conn net.Conn, meter *Meter) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.Conn = conn
	t.secure, t.opaque = true, false
	t.follower.Restart()
	if t.judge != nil {
		t.judge.restart()
	}
	t.client, t.server = lineSplitter{}, lineSplitter{}
	t.meter = meter
	if meter != nil {
		meter.take(false) // the handshake's records are not an exchange
		meter.settle()
	}
}

// Handshake records a finished TLS handshake: version, cipher suite, the
// server's certificate (cert; nil: the peer's) and whether it was
// verified.
func (t *Tap) Handshake(state tls.ConnectionState, cert *x509.Certificate, verifyErr error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := TLSFacts(state, cert, verifyErr)
	if t.cfg.Side == ServerSide && verifyErr == nil {
		f.Verified = i18n.N("the server's own; the client verifies it")
	}
	t.emit(Event{Kind: Internal, Action: TLSStarted, Dir: FromServer, Facts: f})
}

// Discarded records plaintext the client sent after STARTTLS (or STLS)
// and before the handshake: it is thrown away unread, never executed (a
// defence against command injection, CVE-2011-0411).
func (t *Tap) Discarded(plaintext []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	text := strings.ReplaceAll(strings.TrimRight(string(plaintext), "\r\n"), "\r\n", " ⏎ ")
	if len(text) > 200 {
		text = strings.ToValidUTF8(text[:200], "") + "…"
	}
	t.emit(Event{Kind: Internal, Action: Discarded, Dir: FromClient, Facts: &Facts{Size: int64(len(plaintext)), Reason: text}})
}

// wireSummary records what an eavesdropper saw of the exchange that just
// ended: the TLS records each way, and their sizes.
func (t *Tap) wireSummary() {
	if t.meter == nil {
		return
	}
	c, s := t.meter.take(t.cfg.Side == ServerSide)
	if c.records == 0 && s.records == 0 {
		return
	}
	t.emit(Event{Kind: Internal, Action: Wire, Dir: FromServer, Answers: t.answers, Verb: proto.Verb(t.answers), Repeat: t.wireSeen, Facts: &Facts{
		Count: c.records, Size: c.octets, ReplyRecords: s.records, ReplyOctets: s.octets}})
	t.wireSeen = true
}

// Meter sits below TLS on a connection and counts the TLS records that
// cross it each way: all an eavesdropper learns of an encrypted exchange.
type Meter struct {
	net.Conn
	mu      sync.Mutex
	in, out recordParser
	read    tally // records read since the last take
	written tally // records written since the last take
	// settled is false during the handshake: reads stop at the end of a
	// record then, so TLS never reads ahead into the records that follow
	// the handshake (a client sends its first command right after its
	// Finished), which would be counted with the handshake and lost.
	settled bool
}

// tally is a number of records and their octets.
type tally struct {
	records int
	octets  int64
}

// NewMeter wraps a raw connection.
func NewMeter(conn net.Conn) *Meter { return &Meter{Conn: conn} }

// Read counts the records read.
func (m *Meter) Read(p []byte) (int, error) {
	m.mu.Lock()
	if !m.settled {
		p = p[:min(len(p), m.in.untilBoundary())]
	}
	m.mu.Unlock()
	n, err := m.Conn.Read(p)
	m.count(&m.in, &m.read, p[:n])
	return n, err
}

// Write counts the records written.
func (m *Meter) Write(p []byte) (int, error) {
	m.count(&m.out, &m.written, p)
	return m.Conn.Write(p)
}

func (m *Meter) count(parser *recordParser, t *tally, p []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, size := range parser.feed(p) {
		t.records++
		t.octets += int64(size)
	}
}

// settle ends the handshake: reads may read ahead from now on.
func (m *Meter) settle() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.settled = true
}

// take returns the client's and the server's records since the last take
// (readsAreClient: this end is the server) and starts counting again.
func (m *Meter) take(readsAreClient bool) (client, server tally) {
	m.mu.Lock()
	defer m.mu.Unlock()
	client, server = m.written, m.read
	if readsAreClient {
		client, server = m.read, m.written
	}
	m.read, m.written = tally{}, tally{}
	return client, server
}

// recordParser finds TLS record boundaries in one direction: a record is
// a 5-octet header (type, version, length) and length octets.
type recordParser struct {
	header []byte // header octets seen so far
	left   int    // payload octets still to come
}

// untilBoundary is how many octets may be read without crossing the end
// of the record being read (or of its header).
func (r *recordParser) untilBoundary() int {
	if r.left > 0 {
		return r.left
	}
	return 5 - len(r.header)
}

// feed returns the sizes of the records that start in p.
func (r *recordParser) feed(p []byte) []int {
	var sizes []int
	for len(p) > 0 {
		if r.left > 0 {
			n := min(r.left, len(p))
			r.left -= n
			p = p[n:]
			continue
		}
		need := 5 - len(r.header)
		n := min(need, len(p))
		r.header = append(r.header, p[:n]...)
		p = p[n:]
		if len(r.header) == 5 {
			r.left = int(r.header[3])<<8 | int(r.header[4])
			sizes = append(sizes, 5+r.left)
			r.header = r.header[:0]
		}
	}
	return sizes
}
