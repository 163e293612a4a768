package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"maillab/sandbox/certs"
	"maillab/trace"
	"maillab/trace/i18n"
	"maillab/trace/proto"
	"maillab/trace/proto/pop3"
	"maillab/trace/proto/smtp"
)

// Config says how to run a sandbox. Zero values mean the defaults given on
// each field.
type Config struct {
	World          *World           // nil: DefaultWorld()
	Host           string           // listen address; "": 127.0.0.1 (loopback only)
	PortOffset     int              // added to every default port
	RandomPorts    bool             // listen on free ports (port 0) instead of the defaults
	Only           string           // run only this domain's servers; "": all
	Store          Store            // nil: Maildir under Maildir, else 64 MiB in memory and the rest in a scratch Maildir in a temporary folder
	Quota          int64            // octets a mailbox may hold; 0: 100 MB; -1: no limit
	MaxMessageSize int64            // octets; 0: 10 MiB
	MaxRecipients  int              // per message; 0: 100
	MaxConns       int              // per server; 0: 200
	MaxPerAddress  int              // sessions from one client address before login, across servers; 0: 30; -1: no limit (a class on one machine)
	MaxPerAccount  int              // sessions of one account after login; 0: 20
	IdleTimeout    time.Duration    // SMTP; 0: 5 minutes (POP3 gets twice this)
	RetryInterval  time.Duration    // relay retries; 0: 10 seconds
	MaxQueueAge    time.Duration    // then bounce; 0: 1 hour
	Maildir        string           // keep mailboxes and relay queues on disk here; "": in memory
	TapServers     bool             // publish every server-side line as an Event
	TapRelay       bool             // publish the relay client's lines as Events (step 2), up to STARTTLS
	TapRelayIn     bool             // publish the lines of relay sessions as the receiving server sees them (above TLS)
	Certs          *certs.Authority // the sandbox CA: STARTTLS, STLS and the implicit-TLS services; nil: no TLS
	RequireTLS     bool             // refuse AUTH (530 5.7.0) and USER/PASS before TLS
	AllowSpoofing  bool             // let a logged-in user send as any address (a lesson on forged senders); off: 553 5.7.1

	// Listen opens the servers' listeners; nil: TCP without keep-alive
	// (listenWithoutKeepAlive). Tests wrap it
	// (a listener that runs out of file descriptors, say).
	Listen func(network, addr string) (net.Listener, error)

	scratch interface{ Remove() error } // the store made for this sandbox alone, removed at Close
}

// defaultQuota is what a mailbox may hold: a class's mail many times over,
// and far from what one student's flood could do to the machine.
const defaultQuota = 100 * 1000 * 1000

func (c *Config) setDefaults() error {
	if c.World == nil {
		c.World = DefaultWorld()
	}
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	if c.Store == nil && c.Maildir != "" {
		s, err := NewMaildirStore(c.Maildir)
		if err != nil {
			return err
		}
		c.Store = s
	}
	if c.Store == nil {
		s := NewSpillStore(scratchMemory)
		c.Store, c.scratch = s, s
	}
	switch c.Quota {
	case 0:
		c.Quota = defaultQuota
	case -1:
		c.Quota = 0
	}
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = 10 << 20
	}
	if c.MaxRecipients == 0 {
		c.MaxRecipients = 100
	}
	if c.MaxConns == 0 {
		c.MaxConns = 200
	}
	switch c.MaxPerAddress {
	case 0:
		c.MaxPerAddress = defaultPerAddress
	case -1:
		c.MaxPerAddress = 0
	}
	if c.MaxPerAccount == 0 {
		c.MaxPerAccount = defaultPerAccount
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 5 * time.Minute
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = 10 * time.Second
	}
	if c.MaxQueueAge == 0 {
		c.MaxQueueAge = time.Hour
	}
	return nil
}

// Sandbox is a running world: listeners, sessions, mailboxes and relay
// queues. Events carries every line and action, for whoever subscribes.
type Sandbox struct {
	Events trace.Hub

	cfg     Config
	world   *World
	store   Store
	locks   mailboxLocks
	running []Listening // the services this process serves, and where
	queues  map[*Provider]*relayQueue

	listeners []net.Listener
	conns     sync.Map // net.Conn -> struct{}, the open sessions
	sessions  sync.WaitGroup
	workers   sync.WaitGroup
	done      chan struct{}
	ctx       context.Context // cancelled when the sandbox closes: relay connections end with it
	cancel    context.CancelFunc
	closing   atomic.Bool
	closeOnce sync.Once

	dirLocks []*dirLock // of cfg.Maildir, one per provider served
	throttle loginThrottle
	relays   ownRelays
	shares   shares
	certs    *certs.Authority
	faults   faults
	idPrefix string
	idSeq    atomic.Uint64
	sessSeq  atomic.Uint64
}

// Start opens the listeners of every provider (or only cfg.Only) and starts
// serving. Close stops it.
func Start(cfg Config) (*Sandbox, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	sb := &Sandbox{
		cfg: cfg, world: cfg.World, store: cfg.Store, certs: cfg.Certs,
		queues: make(map[*Provider]*relayQueue),
		done:   make(chan struct{}), idPrefix: newIDPrefix(),
	}
	sb.ctx, sb.cancel = context.WithCancel(context.Background())
	sb.shares.perAddress, sb.shares.perAccount = cfg.MaxPerAddress, cfg.MaxPerAccount
	providers, err := sb.selected()
	if err != nil {
		sb.cancel()
		if cfg.scratch != nil {
			cfg.scratch.Remove()
		}
		return nil, err
	}
	if err := sb.lockMaildir(providers); err != nil {
		return nil, err
	}
	// Open every listener and fill the maps before serving anything, so
	// that sessions only ever read them.
	var serve []func()
	for _, p := range providers {
		start, err := sb.listen(p)
		if err != nil {
			sb.Close()
			return nil, err
		}
		serve = append(serve, start)
		if err := sb.newQueue(p); err != nil {
			sb.Close()
			return nil, err
		}
	}
	for _, q := range sb.queues {
		sb.workers.Add(1)
		go func() { defer sb.workers.Done(); q.run(sb.done) }()
	}
	for _, start := range serve {
		start()
	}
	return sb, nil
}

// lockMaildir locks the --maildir directory for each provider served.
func (sb *Sandbox) lockMaildir(providers []*Provider) error {
	if sb.cfg.Maildir == "" {
		return nil
	}
	for _, p := range providers {
		l, err := lockDir(sb.cfg.Maildir, p.Domain)
		if err != nil {
			sb.unlockMaildir()
			return err
		}
		sb.dirLocks = append(sb.dirLocks, l)
	}
	return nil
}

func (sb *Sandbox) unlockMaildir() {
	for _, l := range sb.dirLocks {
		l.release()
	}
	sb.dirLocks = nil
}

// newQueue makes p's relay queue and, with a Maildir, loads what a
// previous run left in its spool.
func (sb *Sandbox) newQueue(p *Provider) error {
	q := newRelayQueue(sb, p)
	sb.queues[p] = q
	if sb.cfg.Maildir == "" {
		return nil
	}
	sp, err := newSpool(sb.cfg.Maildir, p.Domain)
	if err != nil {
		return err
	}
	q.spool = sp
	waiting, err := sp.load()
	if err != nil {
		return err
	}
	for _, e := range waiting {
		q.add(e)
	}
	return nil
}

// selected returns the providers this process serves.
func (sb *Sandbox) selected() ([]*Provider, error) {
	if sb.cfg.Only == "" {
		return sb.world.Providers, nil
	}
	p, ok := sb.world.Provider(sb.cfg.Only)
	if !ok {
		return nil, i18n.Errorf("--only %s: no such provider (choose %s)", sb.cfg.Only, sb.world.domainList())
	}
	return []*Provider{p}, nil
}

// Listening is a service served by this process and where it listens.
type Listening struct {
	Provider *Provider
	Service  Service
	Addr     string // host:port
}

// listen opens a listener for each of p's services and returns a function
// that starts accepting on them.
func (sb *Sandbox) listen(p *Provider) (serve func(), err error) {
	var starts []func()
	for _, svc := range p.Services {
		if svc.TLS == ImplicitTLS && sb.certs == nil {
			continue // no certificates, no TLS port
		}
		addr := svc.DefaultAddr(sb.cfg.Host, sb.cfg.PortOffset)
		if sb.cfg.RandomPorts {
			addr = net.JoinHostPort(sb.cfg.Host, "0")
		}
		ln, err := sb.openListener(addr, svc.Host)
		if err != nil {
			return nil, err
		}
		sb.running = append(sb.running, Listening{Provider: p, Service: svc, Addr: ln.Addr().String()})
		starts = append(starts, sb.server(p, svc, ln))
	}
	return func() {
		for _, start := range starts {
			start()
		}
	}, nil
}

// server returns a function that serves a service's listener: each
// connection gets a link (tapped, and for implicit TLS, handshaken first)
// and a session of the service's protocol.
func (sb *Sandbox) server(p *Provider, svc Service, ln net.Listener) func() {
	busy := smtp.TooManyConns.Line("maillab")
	if svc.Proto == trace.POP3 {
		busy = pop3.Busy.Line()
	}
	serve := func(raw net.Conn, label string, st *seat) {
		cfg := trace.TapConfig{Proto: svc.Proto, Server: svc.Host, Session: label, Handover: true,
			Judge: true, OffersTLS: sb.certs != nil && svc.TLS != ImplicitTLS}
		var l *link
		if svc.Proto == trace.SMTP {
			cfg.IsRelay = func(name string) bool { return sb.verifiedRelay(l, name) }
		}
		l = sb.newLink(raw, cfg)
		l.seat = st
		if svc.TLS == ImplicitTLS {
			if err := sb.startTLS(l, svc.Host, nil); err != nil {
				l.conn.Close()
				return
			}
		}
		if svc.Proto == trace.POP3 {
			sb.newPOP3Session(p, l).serve()
		} else {
			sb.newSMTPSession(p, l).serve()
		}
	}
	if svc.TLS == ImplicitTLS {
		busy = "" // no plaintext on a TLS port
	}
	return func() { sb.accept(ln, svc.Host, serve, busy) }
}

// openListener listens on addr and explains the usual failure.
func (sb *Sandbox) openListener(addr, name string) (net.Listener, error) {
	listen := sb.cfg.Listen
	if listen == nil {
		listen = listenWithoutKeepAlive
	}
	ln, err := listen("tcp", addr)
	if err == nil {
		sb.listeners = append(sb.listeners, ln)
		return ln, nil
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		_, port, _ := net.SplitHostPort(addr)
		return nil, i18n.Errorf("%s: port %s is already in use (another maillab sandbox?); stop it, or move every port with --port-offset N", name, port)
	}
	return nil, i18n.Errorf("%s: listen on %s: %w", name, addr, err)
}

// listenWithoutKeepAlive listens without TCP keep-alive: every session has
// its own idle timeout, so the probes would find nothing the timeout does
// not, and turning them on costs four system calls per connection.
func listenWithoutKeepAlive(network, addr string) (net.Listener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	return lc.Listen(context.Background(), network, addr)
}

// accept serves each connection of ln in its own goroutine, refusing those
// over MaxConns, and those from an address that has its share, with a
// one-line reply. A failed Accept (out of file descriptors, say) is
// reported once and retried after a pause that grows: the listener
// never gives up until the sandbox closes.
func (sb *Sandbox) accept(ln net.Listener, name string, serve func(net.Conn, string, *seat), busy string) {
	slots := make(chan struct{}, sb.cfg.MaxConns)
	full := func() bool { return float64(len(slots)) >= underLoad*float64(cap(slots)) }
	sb.workers.Add(1)
	go func() {
		defer sb.workers.Done()
		wait := time.Duration(0)
		for {
			conn, err := ln.Accept()
			if err != nil {
				if sb.closing.Load() {
					return
				}
				if wait == 0 {
					sb.acceptFailing(name, err)
				}
				wait = min(max(2*wait, firstAcceptWait), maxAcceptWait)
				select {
				case <-time.After(wait):
				case <-sb.done:
					return
				}
				continue
			}
			wait = 0
			sb.admit(conn, serve, busy, slots, full)
		}
	}()
}

// admit starts a session for conn if a slot of the server and a share of
// its address are free; else it refuses it.
func (sb *Sandbox) admit(conn net.Conn, serve func(net.Conn, string, *seat), busy string, slots chan struct{}, full func() bool) {
	select {
	case slots <- struct{}{}:
	default:
		refuse(conn, busy)
		return
	}
	st, ok := sb.shares.admit(conn.RemoteAddr(), full)
	if !ok {
		<-slots
		refuse(conn, sb.addressBusy(busy))
		return
	}
	label := "#" + strconv.FormatUint(sb.sessSeq.Add(1), 10)
	sb.sessions.Add(1)
	sb.conns.Store(conn, struct{}{})
	go func() {
		defer func() { st.leave(); sb.conns.Delete(conn); <-slots; sb.sessions.Done() }()
		serve(conn, label, st)
	}()
}

// addressBusy is the refusal of a connection whose address has its share:
// the server's busy line, worded for it.
func (sb *Sandbox) addressBusy(busy string) string {
	switch {
	case busy == "":
		return ""
	case strings.HasPrefix(busy, "-ERR"):
		return pop3.AddressBusy.Line()
	}
	return smtp.AddressBusy.Line("maillab")
}

// refuse answers a connection over the limit with one line and closes it.
func refuse(conn net.Conn, line string) {
	if line != "" {
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		io.WriteString(conn, line+"\r\n")
	}
	conn.Close()
}

// Close stops accepting, asks every session to end (idle ones are told
// "421 shutting down"), waits up to five seconds, then closes what is left.
// Queued mail stays in the queue.
func (sb *Sandbox) Close() error {
	sb.closeOnce.Do(func() {
		sb.closing.Store(true)
		for _, ln := range sb.listeners {
			ln.Close()
		}
		sb.conns.Range(func(k, _ any) bool {
			k.(net.Conn).SetReadDeadline(time.Now())
			return true
		})
		finished := make(chan struct{})
		go func() { sb.sessions.Wait(); close(finished) }()
		select {
		case <-finished:
		case <-time.After(5 * time.Second):
			sb.conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
			<-finished
		}
		close(sb.done)
		sb.cancel()
		sb.workers.Wait()
		sb.unlockMaildir()
		if sb.cfg.scratch != nil {
			sb.cfg.scratch.Remove()
		}
	})
	return nil
}

// sessionCount is how many sessions are open (for tests).
func (sb *Sandbox) sessionCount() int {
	n := 0
	sb.conns.Range(func(_, _ any) bool { n++; return true })
	return n
}

// Addr returns where domain's first server for proto listens in this
// process (the plaintext one, where STARTTLS is offered).
func (sb *Sandbox) Addr(domain string, p proto.Name) (string, bool) {
	return sb.AddrTLS(domain, p, PlainText)
}

// AddrTLS returns where domain's server for proto with the TLS mode
// listens in this process.
func (sb *Sandbox) AddrTLS(domain string, p proto.Name, mode TLSMode) (string, bool) {
	for _, l := range sb.running {
		if strings.EqualFold(l.Provider.Domain, domain) && l.Service.Proto == p && l.Service.TLS == mode {
			return l.Addr, true
		}
	}
	return "", false
}

// Certs returns the sandbox's CA, or nil when it offers no TLS.
func (sb *Sandbox) Certs() *certs.Authority { return sb.certs }

// Listening lists the services this process serves, in world order.
func (sb *Sandbox) Listening() []Listening { return sb.running }

// TapsServers reports whether every server's lines are published as
// Events (the wiretap is on), so a client need not tap its own.
func (sb *Sandbox) TapsServers() bool { return sb.cfg.TapServers }

// World returns the sandbox's world.
func (sb *Sandbox) World() *World { return sb.world }

// Running lists the providers this sandbox serves, in world order.
func (sb *Sandbox) Running() []*Provider {
	var ps []*Provider
	for _, l := range sb.running {
		if len(ps) == 0 || ps[len(ps)-1] != l.Provider {
			ps = append(ps, l.Provider)
		}
	}
	return ps
}

// Store returns the sandbox's mailboxes.
func (sb *Sandbox) Store() Store { return sb.store }

// QueueLen returns how many messages wait in domain's relay queue.
func (sb *Sandbox) QueueLen(domain string) int {
	p, ok := sb.world.Provider(domain)
	if !ok || sb.queues[p] == nil {
		return 0
	}
	return sb.queues[p].Len()
}

// route is the MX look-up of the world: the provider of domain and the
// address of its SMTP server (this process's listener, or the default port
// moved by PortOffset when another process serves it).
func (sb *Sandbox) route(domain string) (*Provider, string, bool) {
	p, ok := sb.world.Provider(domain)
	if !ok {
		return nil, "", false
	}
	if addr, ok := sb.Addr(p.Domain, trace.SMTP); ok {
		return p, addr, true
	}
	host := sb.cfg.Host
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	addr, ok := p.DefaultAddr(trace.SMTP, host, sb.cfg.PortOffset)
	return p, addr, ok
}

// deliverLocal stores msg in the mailbox of each local recipient. This is
// the final delivery, so the envelope sender goes on top as Return-Path:
// (RFC 5321 section 4.4), "<>" for a bounce. Each stored copy keeps its
// journey.
func (sb *Sandbox) deliverLocal(p *Provider, queueID, from string, msg []byte, rcpts []Address, meta Meta) error {
	msg = append([]byte("Return-Path: <"+from+">\r\n"), msg...)
	for _, r := range rcpts {
		_, user, known := sb.world.Account(r)
		if !known || user == "" {
			return i18n.Errorf("%s is no account here: nothing is delivered to it", r)
		}
		owner := Address{Local: user, Domain: p.Domain}
		id, err := sb.store.Deliver(owner, msg, meta)
		if err != nil {
			return i18n.Errorf("store in %s's mailbox: %w", owner, err)
		}
		sb.emit(trace.Event{From: p.SMTPHost(), To: owner.String(), ToRole: trace.RoleMailbox, Action: trace.Stored,
			Message: meta.Journey, BounceOf: meta.BounceOf, Recipient: owner.String(),
			Facts: &trace.Facts{QueueID: queueID, Mailbox: owner.String(), StoreID: id, Size: int64(len(msg))}})
	}
	return nil
}

// enqueue splits e by destination domain and queues it for relay.
func (sb *Sandbox) enqueue(p *Provider, e *envelope) error {
	q := sb.queues[p]
	if q == nil {
		return i18n.Errorf("%s has no relay queue", p.Domain)
	}
	byDomain := map[string][]Address{}
	var order []string
	for _, r := range e.To {
		if _, seen := byDomain[r.Domain]; !seen {
			order = append(order, r.Domain)
		}
		byDomain[r.Domain] = append(byDomain[r.Domain], r)
	}
	for _, d := range order {
		part := *e
		part.To = byDomain[d]
		if q.spool != nil {
			if err := q.spool.save(&part, true); err != nil {
				return i18n.Errorf("queue on disk: %w", err)
			}
		}
		peer, _ := sb.world.Provider(d)
		sb.emit(trace.Event{From: p.SMTPHost(), To: peer.SMTPHost(), Action: trace.Queued, Message: e.Journey, BounceOf: e.BounceOf,
			Facts: &trace.Facts{QueueID: e.ID, Domain: d}})
		q.add(&part)
	}
	return nil
}

// emit publishes an action of the sandbox, when anyone listens.
func (sb *Sandbox) emit(e trace.Event) {
	if !sb.Events.Active() {
		return
	}
	e.Time, e.Kind = time.Now(), trace.Internal
	sb.Events.Publish(e)
}

// newQueueID returns a new, unique queue id such as "7F3A9C01000012".
func (sb *Sandbox) newQueueID() string {
	return fmt.Sprintf("%s%06X", sb.idPrefix, sb.idSeq.Add(1))
}

func newIDPrefix() string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%04X", time.Now().Unix()&0xFFFF) + strings.ToUpper(hex.EncodeToString(b[:]))
}
