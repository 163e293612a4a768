// Package web is the classroom's page, served by a running sandbox: a
// projector page that animates the six steps as events arrive, with the
// transcript beside it (students' logins masked), and the teacher's view
// behind a token: who is at which step, each student's transcript as it
// was, and actions (empty a mailbox, reset progress, inject a fault, play
// the six steps). Live updates are Server-Sent Events at /events; a page
// that reconnects catches up from its last event id. A slow or closed
// browser never slows the servers: events reach the pages through their
// own queue and a ring of recent events that each page reads at its pace.
package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"maillab/sandbox"
	"maillab/sandbox/class"
	"maillab/trace"
	"maillab/trace/i18n"
)

//go:embed assets
var assets embed.FS

// Config says how to serve the page.
type Config struct {
	Sandbox *sandbox.Sandbox
	Addr    string        // listen address, e.g. 127.0.0.1:8025; port 0: any free port
	Token   string        // the teacher's token; "": a new random one
	History int           // events kept for reconnects and replays; 0: 20000
	Lang    *i18n.Printer // the notes' language; nil: English
	// Room follows the class (tiles, grades) from the page's events; nil:
	// a room of the page's own, with an empty grade book, kept nowhere.
	Room *class.Room
}

// Server serves the page and the teacher's view.
type Server struct {
	cfg     Config
	sb      *sandbox.Sandbox
	token   string
	ring    *ring
	slab    itemSlab // the page queue's goroutine's items for ring
	room    *class.Room
	ownRoom bool     // the page opened the room, and closes it
	streams *counter // the shared page's open event streams
	queue   *trace.Queue
	srv     *http.Server
	ln      net.Listener
	ctx     context.Context
	cancel  context.CancelFunc

	ann  *trace.Annotator
	mask *trace.Masker

	servers    *class.Servers // maillab check's results on students' servers
	checking   chan struct{}  // a slot per check running
	background sync.WaitGroup // checks running, waited for at Close
}

// Start listens on cfg.Addr and serves until Close.
func Start(cfg Config) (*Server, error) {
	if cfg.History == 0 {
		cfg.History = 20000
	}
	token := cfg.Token
	if token == "" {
		token = NewToken()
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, i18n.Errorf("the page: listen on %s: %w (move it with --web ADDR, or --web off)", cfg.Addr, err)
	}
	ln = &limitedListener{Listener: ln, c: newCounter(maxConnsPerAddress, maxConns)}
	s := &Server{cfg: cfg, sb: cfg.Sandbox, token: token, servers: class.NewServers(), checking: make(chan struct{}, maxRunningChecks), ring: newRing(cfg.History), ln: ln, streams: newCounter(maxViewersPerAddress, maxViewers),
		room: cfg.Room, ann: trace.NewAnnotatorIn(cfg.Lang)}
	if s.room == nil {
		s.room, _ = class.Open(cfg.Sandbox.World(), class.Options{}) // kept nowhere: it cannot fail
		s.ownRoom = true
	}
	s.mask = &trace.Masker{Public: s.public, Known: s.known, Lang: cfg.Lang}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.queue = s.sb.Events.SubscribeQueued("the page", 1<<16, s.ingest, nil)
	// An idle kept-alive connection is closed after a while: held open by
	// the thousand, they would keep everyone out (the teacher too).
	s.srv = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 30 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// NewToken is a new teacher's token: 16 random bytes in hex.
func NewToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// URL is where the page is.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() + "/" }

// Token is the teacher's token.
func (s *Server) Token() string { return s.token }

// Close stops serving; open pages are disconnected.
func (s *Server) Close() error {
	s.cancel()
	s.background.Wait() // the checks end with the context
	s.queue.Close(time.Second)
	if s.ownRoom {
		s.room.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// public reports whether a login name's secrets may be shown to the class:
// a demo account's may (gacl, aaa, bbb: decoding Z2FjbA== is the lesson);
// a student's, the postmaster's (the teacher's) or an unknown name's may not.
func (s *Server) public(name, server string) bool {
	addr, user, known := s.accountAt(name, server)
	return known && user != sandbox.Postmaster && !s.sb.World().IsStudent(addr)
}

// known reports whether a name claimed at a server is an account of its
// provider.
func (s *Server) known(name, server string) bool {
	_, _, known := s.accountAt(name, server)
	return known
}

// accountAt finds the account a login name (a user, or user@domain of the
// server's own provider) names at a server.
func (s *Server) accountAt(name, server string) (addr sandbox.Address, user string, known bool) {
	w := s.sb.World()
	for _, p := range w.Providers {
		for _, svc := range p.Services {
			if svc.Host != server {
				continue
			}
			local, domain, found := strings.Cut(name, "@")
			if found && !strings.EqualFold(domain, p.Domain) {
				return addr, "", false
			}
			addr = sandbox.Address{Local: local, Domain: p.Domain}
			_, user, known = w.Account(addr)
			return addr, user, known
		}
	}
	return addr, "", false
}

// ingest takes each event of the sandbox (in the page's own goroutine):
// the class follows it, and it is kept for the pages, to be encoded when
// one asks.
func (s *Server) ingest(e trace.Event) {
	s.room.Observe(e)
	it := s.slab.next()
	it.raw = e
	s.ring.add(it)
}

// encode explains an item's event and encodes it for the teacher as it
// is and for the class with the students' secrets masked.
func (s *Server) encode(it *item) {
	e := it.raw
	s.ann.Annotate(&e)
	e = visible(e)
	it.private, _ = json.Marshal(trace.JSONIn(s.cfg.Lang, e))
	it.public = it.private
	masked := e
	s.mask.Mask(&masked)
	if masked.Line != e.Line || masked.Note != e.Note || masked.Claimed != e.Claimed || masked.Verb != e.Verb {
		it.public, _ = json.Marshal(trace.JSONIn(s.cfg.Lang, masked))
	}
}

// narrate asks every page to tell one message stage by stage: the six
// steps the teacher just played. It travels with the events, so a page
// that reconnects gets it in its place.
func (s *Server) narrate(message string) {
	data, _ := json.Marshal(map[string]string{"message": message})
	s.ring.add(&item{public: data, private: data, event: "narrate"})
}

// visible escapes whatever a client typed that an event carries (control
// characters, bidirectional overrides) before it reaches a page: the JSON
// of --format json keeps lines exact, the pages show them escaped.
func visible(e trace.Event) trace.Event {
	e.Line, e.Note, e.Claimed = trace.Visible(e.Line), trace.Visible(e.Note), trace.Visible(e.Claimed)
	e.Sender, e.Recipient, e.From, e.To = trace.Visible(e.Sender), trace.Visible(e.Recipient), trace.Visible(e.From), trace.Visible(e.To)
	if e.Facts != nil {
		f := *e.Facts
		f.Reason, f.Sender, f.Subject, f.Mailbox = trace.Visible(f.Reason), trace.Visible(f.Sender), trace.Visible(f.Subject), trace.Visible(f.Mailbox)
		e.Facts = &f
	}
	return e
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets")
	mux.Handle("GET /", http.FileServer(http.FS(static)))
	mux.HandleFunc("GET /events", s.viewers(func(w http.ResponseWriter, r *http.Request) { s.stream(w, r, false) }))
	mux.HandleFunc("GET /teacher/events", s.teacher(func(w http.ResponseWriter, r *http.Request) { s.stream(w, r, true) }))
	mux.HandleFunc("GET /api/tiles", s.publicTiles)
	mux.HandleFunc("GET /api/class", s.teacher(s.classView))
	mux.HandleFunc("GET /api/grades.csv", s.teacher(s.gradesCSV))
	mux.HandleFunc("POST /api/mailbox/empty", s.teacher(s.emptyMailbox))
	mux.HandleFunc("POST /api/progress/reset", s.teacher(s.resetProgress))
	mux.HandleFunc("POST /api/fault", s.teacher(s.injectFault))
	mux.HandleFunc("POST /api/fault/cancel", s.teacher(s.cancelFault))
	mux.HandleFunc("POST /api/play", s.teacher(s.play))
	mux.HandleFunc("POST /api/check", s.teacher(s.runCheck))
	mux.HandleFunc("GET /api/checks", s.teacher(s.serverChecks))
	mux.HandleFunc("GET /api/checks.csv", s.teacher(s.serverChecksCSV))
	mux.HandleFunc("GET /ca.pem", s.caCertificate)
	mux.HandleFunc("GET /strings.json", s.pageWords)
	return securityHeaders(mux)
}

// caCertificate serves the sandbox CA's certificate (never its key), so
// students' programs can verify the servers: 404 when TLS is off.
func (s *Server) caCertificate(w http.ResponseWriter, r *http.Request) {
	ca := s.sb.Certs()
	if ca == nil {
		s.refuse(w, i18n.NewError("this sandbox runs without TLS (--tls off)"), http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Content-Disposition", `attachment; filename="maillab-ca.pem"`)
	w.Write(ca.CAPEM())
}

// securityHeaders keeps the page to its own assets: no scripts from
// elsewhere, no framing.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}

// teacher wraps a handler that needs the teacher's token: the header
// "Authorization: Bearer TOKEN", or ?token= for an EventSource (which
// cannot set headers). Without it: 403.
func (s *Server) teacher(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		given := r.URL.Query().Get("token")
		if auth := r.Header.Get("Authorization"); len(auth) > 7 && auth[:7] == "Bearer " {
			given = auth[7:]
		}
		if subtle.ConstantTimeCompare([]byte(given), []byte(s.token)) != 1 {
			s.refuse(w, i18n.NewError("the teacher's token is needed (it was printed when the sandbox started)"), http.StatusForbidden)
			return
		}
		h(w, r)
	}
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// readJSON reads a small JSON request body into v.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(v); err != nil {
		s.refuse(w, i18n.Errorf("a JSON body is needed: %w", err), http.StatusBadRequest)
		return false
	}
	return true
}
