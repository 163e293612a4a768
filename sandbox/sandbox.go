package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"maillab/trace"
)

// Config says how to run a sandbox. Zero values mean the defaults given on
// each field.
type Config struct {
	World          *World        // nil: DefaultWorld()
	Host           string        // listen address; "": 127.0.0.1 (loopback only)
	PortOffset     int           // added to every default port
	RandomPorts    bool          // listen on free ports (port 0) instead of the defaults
	Only           string        // run only this domain's servers; "": all
	Store          Store         // nil: a new MemoryStore
	MaxMessageSize int64         // octets; 0: 10 MiB
	MaxRecipients  int           // per message; 0: 100
	MaxConns       int           // per server; 0: 200
	IdleTimeout    time.Duration // SMTP; 0: 5 minutes (POP3 gets twice this)
	RetryInterval  time.Duration // relay retries; 0: 10 seconds
	MaxQueueAge    time.Duration // then bounce; 0: 1 hour
	Maildir        string        // keep mailboxes and relay queues on disk here; "": in memory
	TapServers     bool          // publish every server-side line as an Event
	TapRelay       bool          // publish the relay client's lines as Events (step 2)
}

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
		c.Store = NewMemoryStore()
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
	running map[*Provider]Ports // providers served by this process, and where
	queues  map[*Provider]*relayQueue

	listeners []net.Listener
	conns     sync.Map // net.Conn -> struct{}, the open sessions
	sessions  sync.WaitGroup
	workers   sync.WaitGroup
	done      chan struct{}
	closing   atomic.Bool
	closeOnce sync.Once

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
		cfg: cfg, world: cfg.World, store: cfg.Store,
		running: make(map[*Provider]Ports), queues: make(map[*Provider]*relayQueue),
		done: make(chan struct{}), idPrefix: newIDPrefix(),
	}
	providers, err := sb.selected()
	if err != nil {
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
		return nil, fmt.Errorf("--only %s: no such provider (choose %s)", sb.cfg.Only, sb.world.domainList())
	}
	return []*Provider{p}, nil
}

// listen opens p's SMTP and POP3 listeners and returns a function that
// starts accepting on them.
func (sb *Sandbox) listen(p *Provider) (serve func(), err error) {
	want := p.DefaultPorts(sb.cfg.Host, sb.cfg.PortOffset)
	if sb.cfg.RandomPorts {
		want = Ports{SMTP: net.JoinHostPort(sb.cfg.Host, "0"), POP3: net.JoinHostPort(sb.cfg.Host, "0")}
	}
	smtpLn, err := sb.openListener(want.SMTP, p.SMTPHost)
	if err != nil {
		return nil, err
	}
	popLn, err := sb.openListener(want.POP3, p.POP3Host)
	if err != nil {
		return nil, err
	}
	sb.running[p] = Ports{SMTP: smtpLn.Addr().String(), POP3: popLn.Addr().String()}
	return func() {
		sb.accept(smtpLn, func(c net.Conn, label string) { sb.newSMTPSession(p, c, label).serve() }, replyTooManyConns, "")
		sb.accept(popLn, func(c net.Conn, label string) { sb.newPOP3Session(p, c, label).serve() }, SMTPReply{}, popBusy.Line())
	}, nil
}

// openListener listens on addr and explains the usual failure.
func (sb *Sandbox) openListener(addr, name string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		sb.listeners = append(sb.listeners, ln)
		return ln, nil
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		_, port, _ := net.SplitHostPort(addr)
		return nil, fmt.Errorf("%s: port %s is already in use (another maillab sandbox?); stop it, or move every port with --port-offset N", name, port)
	}
	return nil, fmt.Errorf("%s: listen on %s: %w", name, addr, err)
}

// accept serves each connection of ln in its own goroutine, refusing those
// over MaxConns with a one-line reply.
func (sb *Sandbox) accept(ln net.Listener, serve func(net.Conn, string), busySMTP SMTPReply, busyPOP3 string) {
	slots := make(chan struct{}, sb.cfg.MaxConns)
	sb.workers.Add(1)
	go func() {
		defer sb.workers.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case slots <- struct{}{}:
			default:
				refuse(conn, busySMTP, busyPOP3)
				continue
			}
			label := "s" + strconv.FormatUint(sb.sessSeq.Add(1), 10) + " " + conn.RemoteAddr().String()
			sb.sessions.Add(1)
			sb.conns.Store(conn, struct{}{})
			go func() {
				defer func() { sb.conns.Delete(conn); <-slots; sb.sessions.Done() }()
				serve(conn, label)
			}()
		}
	}()
}

// refuse answers a connection over the limit and closes it.
func refuse(conn net.Conn, smtpReply SMTPReply, pop3Line string) {
	conn.SetWriteDeadline(time.Now().Add(time.Second))
	if pop3Line != "" {
		fmt.Fprintf(conn, "%s\r\n", pop3Line)
	} else {
		fmt.Fprintf(conn, "%d %s %s\r\n", smtpReply.Code, smtpReply.Enhanced, formatReply(smtpReply.Text, "maillab"))
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
		sb.workers.Wait()
	})
	return nil
}

// Addrs returns where each provider served by this sandbox listens.
func (sb *Sandbox) Addrs(domain string) (Ports, bool) {
	p, ok := sb.world.Provider(domain)
	if !ok {
		return Ports{}, false
	}
	ports, ok := sb.running[p]
	return ports, ok
}

// World returns the sandbox's world.
func (sb *Sandbox) World() *World { return sb.world }

// Running lists the providers this sandbox serves, in world order.
func (sb *Sandbox) Running() []*Provider {
	var ps []*Provider
	for _, p := range sb.world.Providers {
		if _, ok := sb.running[p]; ok {
			ps = append(ps, p)
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
	if ports, ok := sb.running[p]; ok {
		return p, ports.SMTP, true
	}
	host := sb.cfg.Host
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return p, p.DefaultPorts(host, sb.cfg.PortOffset).SMTP, true
}

// deliverLocal stores msg in the mailbox of each local recipient.
func (sb *Sandbox) deliverLocal(p *Provider, queueID string, msg []byte, rcpts []Address) error {
	for _, r := range rcpts {
		_, user, _ := sb.world.Account(r)
		owner := Address{Local: user, Domain: p.Domain}
		id, err := sb.store.Deliver(owner, msg)
		if err != nil {
			return fmt.Errorf("store in %s's mailbox: %w", owner, err)
		}
		sb.internal(p.SMTPHost, owner.String()+"'s mailbox", 3, fmt.Sprintf("stored %s in %s's mailbox as message %s (%d octets)", queueID, owner, id, len(msg)), messageRef(msg))
	}
	return nil
}

// enqueue splits e by destination domain and queues it for relay.
func (sb *Sandbox) enqueue(p *Provider, e *envelope) error {
	q := sb.queues[p]
	if q == nil {
		return fmt.Errorf("%s has no relay queue", p.Domain)
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
				return fmt.Errorf("queue on disk: %w", err)
			}
		}
		peer, _ := sb.world.Provider(d)
		sb.internal(p.SMTPHost, peer.SMTPHost, 2, fmt.Sprintf("%s is not a %s domain: queued %s for relay to %s", d, p.Domain, e.ID, d), messageRef(e.Data))
		q.add(&part)
	}
	return nil
}

// internal publishes an Event for something the sandbox did.
// who is the server acting, about what it acts on (a mailbox, a domain).
func (sb *Sandbox) internal(who, about string, step int, line, ref string) {
	if !sb.Events.Active() {
		return
	}
	sb.Events.Publish(trace.Event{Time: time.Now(), Step: step, From: who, To: about, Kind: trace.Internal, Line: line, Ref: ref})
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

// messageRef is the Message-ID of msg, which events carry so that an
// observer can follow one message from hop to hop.
func messageRef(msg []byte) string {
	return headerValue(msg, "Message-ID")
}
