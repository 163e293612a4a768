package check_test

// The zoo: a small SMTP server and a small POP3 server, correct by
// default, each able to carry one planted bug. With no bug they must pass
// every case (a second correct implementation, unlike maillab's); with a
// bug, the case meant for it must catch it.

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"maillab/sandbox/check"
	"maillab/sandbox/sandboxtest"
)

// zooMailbox is the one mailbox the zoo serves: what its SMTP server
// stores, its POP3 server gives.
type zooMailbox struct {
	mu   sync.Mutex
	msgs []zooMessage
	next int
}

type zooMessage struct {
	uid  string
	body []string // lines as stored, without line ends
}

func (m *zooMailbox) add(lines []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.next++
	m.msgs = append(m.msgs, zooMessage{uid: "zoo" + strconv.Itoa(m.next), body: lines})
}

// zooSMTP is a small SMTP server for zoo.example; bug names the one
// thing it gets wrong ("" for none).
type zooSMTP struct {
	bug  string
	box  *zooMailbox
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer

	hello, tls bool
	from       bool
	rcpts      int
	authed     bool
	plainAsked bool // AUTH PLAIN without its answer: the next line is it
}

func (s *zooSMTP) reply(format string, args ...any) {
	fmt.Fprintf(s.w, format+"\r\n", args...)
	s.w.Flush()
}

func serveSMTP(bug string, box *zooMailbox) func(net.Conn) {
	return func(conn net.Conn) {
		s := &zooSMTP{bug: bug, box: box, conn: conn, r: bufio.NewReader(conn), w: bufio.NewWriter(conn)}
		s.reply("220 smtp.zoo.example ESMTP zoo")
		for {
			line, err := s.r.ReadString('\n')
			if err != nil {
				return
			}
			if bug == "pipelining-lost" {
				s.r.Reset(conn) // what came with the line is lost
			}
			if len(line) > 512 {
				s.reply("500 5.5.6 line too long")
				continue
			}
			if s.plainAsked {
				s.plainAnswer(strings.TrimRight(line, "\r\n"))
				continue
			}
			if !s.command(strings.TrimRight(line, "\r\n")) {
				return
			}
		}
	}
}

// command answers one line; false ends the session.
func (s *zooSMTP) command(line string) bool {
	verb, arg, _ := strings.Cut(line, " ")
	switch strings.ToUpper(verb) {
	case "EHLO":
		s.ehlo(arg)
	case "HELO":
		s.helo(arg)
	case "MAIL":
		s.mail(arg)
	case "AUTH":
		s.auth(arg)
	case "RCPT":
		s.rcpt(arg)
	case "DATA":
		s.data()
	case "RSET":
		if s.bug != "rset-keeps" {
			s.from, s.rcpts = false, 0
		}
		s.reply("250 2.0.0 reset")
	case "NOOP":
		s.reply("250 2.0.0 ok")
	case "VRFY":
		s.reply("252 2.1.5 cannot verify, will try")
	case "HELP":
		s.reply("214 2.0.0 see RFC 5321")
	case "QUIT":
		s.reply("221 2.0.0 bye")
		return s.bug == "quit-stays"
	default:
		s.reply("500 5.5.2 unknown command")
	}
	return true
}

func (s *zooSMTP) ehlo(arg string) {
	if arg == "" && s.bug != "ehlo-no-name" {
		s.reply("501 5.5.4 EHLO needs a domain")
		return
	}
	s.hello, s.from, s.rcpts = true, false, 0
	sep := "-"
	if s.bug == "multiline-spaces" {
		sep = " "
	}
	s.reply("250%ssmtp.zoo.example", sep)
	s.reply("250%sSIZE 100000", sep)
	s.reply("250%sPIPELINING", sep)
	if s.bug == "submission" {
		s.reply("250%sAUTH PLAIN", sep)
	}
	s.reply("250 ENHANCEDSTATUSCODES")
}

func (s *zooSMTP) helo(arg string) {
	if arg == "" {
		s.reply("501 5.5.4 HELO needs a domain")
		return
	}
	s.hello, s.from, s.rcpts = true, false, 0
	s.reply("250 smtp.zoo.example")
}

// path reads "FROM:<a@b> PARAMS" or "TO:<a@b>", needing brackets.
func path(arg, prefix string) (addr string, params []string, ok bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", nil, false
	}
	rest := strings.TrimLeft(arg[len(prefix):], " ")
	if !strings.HasPrefix(rest, "<") {
		return "", nil, false
	}
	addr, tail, ok := strings.Cut(rest[1:], ">")
	return addr, strings.Fields(tail), ok
}

func (s *zooSMTP) mail(arg string) {
	_, params, ok := path(arg, "FROM:")
	switch {
	case !s.hello:
		s.reply("503 5.5.1 EHLO first")
	case s.bug == "submission" && !s.authed:
		s.reply("530 5.7.0 authentication required")
	case s.from && s.bug != "mail-twice":
		s.reply("503 5.5.1 one MAIL at a time")
	case !ok:
		s.reply("501 5.5.4 MAIL FROM:<address>")
	default:
		for _, p := range params {
			name, value, _ := strings.Cut(strings.ToUpper(p), "=")
			switch name {
			case "SIZE":
				if n, _ := strconv.Atoi(value); n > 100000 && s.bug != "size-ignored" {
					s.reply("552 5.3.4 too big")
					return
				}
			case "BODY":
			default:
				s.reply("555 5.5.4 unknown parameter %s", name)
				return
			}
		}
		s.from = true
		s.reply("250 2.1.0 ok")
	}
}

func (s *zooSMTP) rcpt(arg string) {
	addr, _, ok := path(arg, "TO:")
	switch {
	case !s.from && s.bug != "rcpt-before-mail":
		s.reply("503 5.5.1 MAIL first")
	case !ok:
		s.reply("501 5.5.4 RCPT TO:<address>")
	case strings.EqualFold(addr, "postmaster") || strings.HasSuffix(strings.ToLower(addr), "@zoo.example"):
		s.rcpts++
		s.reply("250 2.1.5 ok")
	default:
		s.reply("550 5.7.1 no relaying")
	}
}

func (s *zooSMTP) data() {
	if s.rcpts == 0 && s.bug != "data-before-rcpt" {
		s.reply("503 5.5.1 RCPT first")
		return
	}
	s.reply("354 end with a line of one dot")
	var lines []string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "." || s.bug == "dot-ends-data" && strings.HasPrefix(line, ".") {
			break
		}
		lines = append(lines, strings.TrimPrefix(line, "."))
	}
	s.box.add(lines)
	s.from, s.rcpts = false, 0
	s.reply("250 2.0.0 stored")
}

// zooPOP3 is a small POP3 server for the zoo's one mailbox (user "zoo",
// password "secret"); bug names the one thing it gets wrong.
type zooPOP3 struct {
	bug     string
	box     *zooMailbox
	w       *bufio.Writer
	user    string
	in      bool
	deleted map[int]bool
	snap    []zooMessage // the maildrop as the session found it
	session int
}

func (p *zooPOP3) say(format string, args ...any) {
	fmt.Fprintf(p.w, format+"\r\n", args...)
	p.w.Flush()
}

func servePOP3(bug string, box *zooMailbox) func(net.Conn) {
	var sessions int
	var mu sync.Mutex
	return func(conn net.Conn) {
		mu.Lock()
		sessions++
		p := &zooPOP3{bug: bug, box: box, w: bufio.NewWriter(conn), deleted: map[int]bool{}, session: sessions}
		mu.Unlock()
		r := bufio.NewReader(conn)
		p.say("+OK zoo POP3 ready")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				if p.bug == "update-on-drop" {
					p.update()
				}
				return
			}
			if len(line) > 255 {
				p.say("-ERR line too long")
				continue
			}
			if !p.command(strings.TrimRight(line, "\r\n")) {
				return
			}
		}
	}
}

func (p *zooPOP3) command(line string) bool {
	verb, arg, _ := strings.Cut(line, " ")
	verb = strings.ToUpper(verb)
	if verb == "QUIT" {
		if p.in && p.bug != "quit-keeps" {
			p.update()
		}
		p.say("+OK bye")
		return false
	}
	if verb == "CAPA" {
		p.say("+OK capabilities follow")
		p.say("USER\r\nUIDL\r\nTOP\r\n.")
		return true
	}
	if !p.in && p.bug != "transaction-before-login" {
		p.authorization(verb, arg)
		return true
	}
	p.transaction(verb, arg)
	return true
}

func (p *zooPOP3) authorization(verb, arg string) {
	switch {
	case verb == "USER":
		p.user = arg
		p.say("+OK send PASS")
	case verb == "PASS" && p.user == "zoo" && arg == "secret":
		p.in = true
		p.box.mu.Lock()
		p.snap = append([]zooMessage(nil), p.box.msgs...)
		p.box.mu.Unlock()
		p.say("+OK logged in")
	default:
		p.say("-ERR not now")
	}
}

// message finds a message by the number in arg, not deleted.
func (p *zooPOP3) message(arg string) (int, bool) {
	n, err := strconv.Atoi(strings.Fields(arg + " x")[0])
	if err != nil || n < 1 || n > len(p.snap) || p.deleted[n] {
		p.say("-ERR no such message")
		return 0, false
	}
	return n, true
}

// size is a message's size as RETR sends it.
func (p *zooPOP3) size(n int) int {
	size := 0
	for _, l := range p.snap[n-1].body {
		size += len(l) + 2
		if p.bug == "size-lf" {
			size--
		}
	}
	return size
}

// live are the numbers of the messages not deleted, as LIST shows them.
func (p *zooPOP3) live() []int {
	var out []int
	for n := 1; n <= len(p.snap); n++ {
		if !p.deleted[n] || p.bug == "stat-counts-deleted" {
			out = append(out, n)
		}
	}
	return out
}

func (p *zooPOP3) transaction(verb, arg string) {
	switch verb {
	case "STAT":
		total := 0
		for _, n := range p.live() {
			total += p.size(n)
		}
		p.say("+OK %d %d", len(p.live()), total)
	case "LIST", "UIDL":
		p.scan(verb, arg)
	case "RETR":
		if n, ok := p.message(arg); ok {
			p.say("+OK %d octets", p.size(n))
			p.send(p.snap[n-1].body)
		}
	case "TOP":
		p.top(arg)
	case "DELE":
		if n, ok := p.message(arg); ok {
			p.deleted[n] = true
			if p.bug == "numbers-shift" {
				p.snap, p.deleted = append(p.snap[:n-1:n-1], p.snap[n:]...), map[int]bool{}
			}
			if p.bug == "delete-at-dele" {
				p.update()
			}
			p.say("+OK marked")
		}
	case "RSET":
		if p.bug != "rset-keeps" {
			p.deleted = map[int]bool{}
		}
		p.say("+OK")
	case "NOOP":
		p.say("+OK")
	default:
		p.say("-ERR unknown command")
	}
}

func (p *zooPOP3) scan(verb, arg string) {
	value := func(n int) string {
		if verb == "LIST" {
			return strconv.Itoa(p.size(n))
		}
		if p.bug == "uidl-changes" {
			return fmt.Sprintf("%s.%d", p.snap[n-1].uid, p.session)
		}
		return p.snap[n-1].uid
	}
	if arg != "" {
		if n, ok := p.message(arg); ok {
			p.say("+OK %d %s", n, value(n))
		}
		return
	}
	p.say("+OK")
	for _, n := range p.live() {
		p.say("%d %s", n, value(n))
	}
	if p.bug != "list-unterminated" {
		p.say(".")
	}
}

func (p *zooPOP3) top(arg string) {
	f := strings.Fields(arg)
	if len(f) != 2 {
		p.say("-ERR TOP msg n")
		return
	}
	n, ok := p.message(f[0])
	k, err := strconv.Atoi(f[1])
	if !ok || err != nil {
		return
	}
	body := p.snap[n-1].body
	if p.bug != "top-whole" {
		for i, l := range body {
			if l == "" {
				body = body[:min(len(body), i+1+k)]
				break
			}
		}
	}
	p.say("+OK")
	p.send(body)
}

// send writes a message's lines, byte-stuffed, and the final dot.
func (p *zooPOP3) send(lines []string) {
	for _, l := range lines {
		if strings.HasPrefix(l, ".") && p.bug != "no-byte-stuffing" {
			l = "." + l
		}
		fmt.Fprintf(p.w, "%s\r\n", l)
	}
	p.say(".")
}

// update removes the deleted messages from the mailbox.
func (p *zooPOP3) update() {
	p.box.mu.Lock()
	defer p.box.mu.Unlock()
	gone := map[string]bool{}
	for n := range p.deleted {
		gone[p.snap[n-1].uid] = true
	}
	kept := p.box.msgs[:0]
	for _, m := range p.box.msgs {
		if !gone[m.uid] {
			kept = append(kept, m)
		}
	}
	p.box.msgs = kept
}

// zoo runs the zoo's two servers with a bug in one of them.
func zoo(t *testing.T, proto, bug string) check.Options {
	box := &zooMailbox{}
	smtpBug, pop3Bug := bug, ""
	if proto == "pop3" {
		smtpBug, pop3Bug = "", bug
	}
	smtpAddr := sandboxtest.Serve(t, serveSMTP(smtpBug, box))
	if proto == "smtp" {
		return check.Options{Proto: "smtp", Addr: smtpAddr, Timeout: 2 * time.Second}
	}
	return check.Options{Proto: "pop3", Addr: sandboxtest.Serve(t, servePOP3(pop3Bug, box)), User: "zoo", Password: "secret",
		Domain: "zoo.example", Fill: smtpAddr, Timeout: 2 * time.Second}
}

func TestZooWithoutBugsPasses(t *testing.T) {
	for _, proto := range []string{"smtp", "pop3"} {
		opts := zoo(t, proto, "")
		opts.Strict = true
		report, err := check.Run(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		requireAllPass(t, report)
	}
}

// TestZooBugsAreCaught: each planted bug fails the case meant for it
// (warns, for a strict case).
func TestZooBugsAreCaught(t *testing.T) {
	for _, tc := range []struct {
		proto, bug, caseID string
		outcome            check.Outcome
	}{
		{"smtp", "rcpt-before-mail", "smtp.rcpt-before-mail", check.Fail},
		{"smtp", "data-before-rcpt", "smtp.data-before-rcpt", check.Fail},
		{"smtp", "mail-twice", "smtp.mail-twice", check.Warn},
		{"smtp", "rset-keeps", "smtp.rset", check.Fail},
		{"smtp", "multiline-spaces", "smtp.multiline", check.Fail},
		{"smtp", "dot-ends-data", "smtp.transparency", check.Fail},
		{"smtp", "quit-stays", "smtp.quit", check.Fail},
		{"smtp", "ehlo-no-name", "smtp.ehlo-no-name", check.Warn},
		{"smtp", "size-ignored", "smtp.size", check.Fail},
		{"smtp", "pipelining-lost", "smtp.pipelining", check.Fail},
		{"pop3", "no-byte-stuffing", "pop3.byte-stuffing", check.Fail},
		{"pop3", "numbers-shift", "pop3.numbers-stay", check.Fail},
		{"pop3", "delete-at-dele", "pop3.no-quit-no-update", check.Fail},
		{"pop3", "rset-keeps", "pop3.rset", check.Fail},
		{"pop3", "stat-counts-deleted", "pop3.dele", check.Fail},
		{"pop3", "uidl-changes", "pop3.uidl-persist", check.Fail},
		{"pop3", "list-unterminated", "pop3.list", check.Fail},
		{"pop3", "quit-keeps", "pop3.quit-deletes", check.Fail},
		{"pop3", "update-on-drop", "pop3.no-quit-no-update", check.Fail},
		{"pop3", "transaction-before-login", "pop3.stat-before-login", check.Fail},
		{"pop3", "size-lf", "pop3.retr-size", check.Warn},
		{"pop3", "top-whole", "pop3.top-lines", check.Fail},
	} {
		t.Run(tc.bug, func(t *testing.T) {
			t.Parallel()
			opts := zoo(t, tc.proto, tc.bug)
			opts.Only = []string{tc.caseID}
			report, err := check.Run(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(report.Results) != 1 || report.Results[0].Outcome != tc.outcome {
				t.Fatalf("%s with the bug %s: %s, want %s", tc.caseID, tc.bug, outcomes(report), tc.outcome)
			}
			if res := report.Results[0]; len(res.Transcript) == 0 || res.Got == "" {
				t.Errorf("%s: no transcript or nothing said of what came: %+v", tc.caseID, res)
			}
		})
	}
}

// outcomes is a report in short, for a failing test.
func outcomes(r *check.Report) string {
	var b strings.Builder
	for _, res := range r.Results {
		fmt.Fprintf(&b, "%s %s (want %s, got %s); ", res.Case.ID, res.Outcome, res.Want.In(nil), res.Got)
	}
	return b.String()
}

// auth is the "submission" zoo server's AUTH PLAIN, for zoo/secret (not
// a bug: a submission server takes mail only after a login).
func (s *zooSMTP) auth(arg string) {
	mechanism, initial, _ := strings.Cut(arg, " ")
	switch {
	case s.bug != "submission":
		s.reply("502 5.5.1 no AUTH here")
	case !s.hello:
		s.reply("503 5.5.1 EHLO first")
	case s.authed || s.from:
		s.reply("503 5.5.1 already authenticated, or in a transaction")
	case !strings.EqualFold(mechanism, "PLAIN"):
		s.reply("504 5.5.4 unknown mechanism")
	case initial == "":
		s.plainAsked = true
		s.reply("334 ")
	default:
		s.plainAnswer(initial)
	}
}

func (s *zooSMTP) plainAnswer(answer string) {
	s.plainAsked = false
	decoded, err := base64.StdEncoding.DecodeString(answer)
	switch {
	case answer == "*":
		s.reply("501 5.7.0 cancelled")
	case err != nil:
		s.reply("501 5.5.2 not Base64")
	case string(decoded) == "\x00zoo\x00secret":
		s.authed = true
		s.reply("235 2.7.0 ok")
	default:
		s.reply("535 5.7.8 wrong")
	}
}

// TestSubmissionServer: a server that takes mail only after a login
// (530 to MAIL) passes everything when given a user: the cases log in
// after EHLO; without one, the cases that need a transaction are
// skipped, saying why, and nothing fails.
func TestSubmissionServer(t *testing.T) {
	opts := zoo(t, "smtp", "submission")
	opts.User, opts.Password, opts.Strict = "zoo", "secret", true
	report, err := check.Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	requireAllPass(t, report)
	opts.User, opts.Password = "", ""
	report, err = check.Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK() {
		t.Errorf("without a user, a submission server fails: %s", outcomes(report))
	}
	for _, res := range report.Results {
		if res.Case.ID == "smtp.data" && (res.Outcome != check.Skip || !strings.Contains(res.Want.In(nil), "530")) {
			t.Errorf("smtp.data without a user: %s (%s)", res.Outcome, res.Want.In(nil))
		}
	}
}

// TestHostileServers: a server that sends a line without end, or a reply
// without end, or nothing, gets a clear failure, in bounded memory and
// time; the check goes on with the next case.
func TestHostileServers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		want  string // in the error, or in what the greeting case got
		serve func(net.Conn)
	}{
		{"an endless line", "a line of more than 65536 octets", func(c net.Conn) {
			c.Write([]byte("220 "))
			chunk := []byte(strings.Repeat("x", 64<<10))
			for i := 0; i < 1024; i++ { // 64 MiB, and no line end
				if _, err := c.Write(chunk); err != nil {
					return
				}
			}
		}},
		{"an endless reply", "a reply of more than 200 lines", func(c net.Conn) {
			for i := 0; i < 100000; i++ {
				if _, err := c.Write([]byte("220-more\r\n")); err != nil {
					return
				}
			}
		}},
		{"silence", "i/o timeout", func(c net.Conn) { time.Sleep(3 * time.Second) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := sandboxtest.Serve(t, tc.serve)
			start := time.Now()
			report, err := check.Run(context.Background(), check.Options{Proto: "smtp", Addr: addr, Timeout: time.Second, Only: []string{"smtp.greeting"}})
			switch {
			case err != nil && !strings.Contains(err.Error(), tc.want):
				t.Errorf("error %q, want %q in it", err, tc.want)
			case err == nil && (report.OK() || !strings.Contains(report.Results[0].Got, tc.want)):
				t.Errorf("no error, and %s; want %q", outcomes(report), tc.want)
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("took %s", took)
			}
		})
	}
}

// hostilePOP3 greets, then answers every command with +OK and a body
// from body (which writes until the connection breaks).
func hostilePOP3(body func(c net.Conn)) func(net.Conn) {
	return func(c net.Conn) {
		c.Write([]byte("+OK hostile\r\n"))
		r := bufio.NewReader(c)
		if _, err := r.ReadString('\n'); err != nil {
			return
		}
		c.Write([]byte("+OK\r\n"))
		body(c)
	}
}

// TestHostilePOP3Bodies: a multi-line answer that drips forever, or
// holds endless empty lines, is cut off in bounded time and memory, and
// a cancelled run stops at once.
func TestHostilePOP3Bodies(t *testing.T) {
	drip := sandboxtest.Serve(t, hostilePOP3(func(c net.Conn) {
		for {
			if _, err := c.Write([]byte("X\r\n")); err != nil {
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
	}))
	empty := sandboxtest.Serve(t, hostilePOP3(func(c net.Conn) {
		lines := []byte(strings.Repeat("\r\n", 1<<16))
		for {
			if _, err := c.Write(lines); err != nil {
				return
			}
		}
	}))
	for _, tc := range []struct{ name, addr string }{{"a drip", drip}, {"endless empty lines", empty}} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := check.Run(context.Background(), check.Options{Proto: "pop3", Addr: tc.addr, Timeout: 500 * time.Millisecond, Only: []string{"pop3.greeting"}})
			if took := time.Since(start); took > 8*time.Second {
				t.Errorf("took %s", took)
			}
			if err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		check.Run(ctx, check.Options{Proto: "pop3", Addr: drip, Timeout: time.Minute})
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("a cancelled run took %s", took)
		}
	})
}

// TestServerWordsEscaped: what a hostile server says reaches the report
// escaped, in every format, in what was expected as in what came.
func TestServerWordsEscaped(t *testing.T) {
	evil := "\x1b]0;PWNED\x07\x1b[2J\u202eTXT.EXE"
	addr := sandboxtest.Serve(t, func(c net.Conn) {
		c.Write([]byte("+OK hostile\r\n"))
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch verb := strings.ToUpper(strings.Fields(line + " x")[0]); verb {
			case "LIST":
				c.Write([]byte("+OK\r\n1 " + evil + "\r\n.\r\n"))
			case "RETR":
				c.Write([]byte("+OK\r\nSubject: x\r\n\r\nbody\r\n.\r\n"))
			case "STAT":
				c.Write([]byte("+OK 1 20\r\n"))
			case "QUIT":
				c.Write([]byte("+OK bye\r\n"))
				return
			default:
				c.Write([]byte("+OK " + evil + "\r\n"))
			}
		}
	})
	report, err := check.Run(context.Background(), check.Options{Proto: "pop3", Addr: addr, User: "u", Password: "p", Timeout: 300 * time.Millisecond,
		Only: []string{"pop3.retr-size", "pop3.list-one"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"text", "csv"} {
		var out strings.Builder
		report.Write(&out, check.WriteOptions{Format: format})
		if strings.ContainsAny(out.String(), "\x1b\x07\u202e") {
			t.Errorf("%s report carries the server's raw control characters:\n%q", format, out.String())
		}
		if !strings.Contains(out.String(), `\x1b`) {
			t.Errorf("%s report does not show the server's words (escaped) at all:\n%q", format, out.String())
		}
	}
	// JSON: what was expected and what came are escaped; transcript lines
	// are exact, JSON-escaped, as in every maillab JSON stream
	var out strings.Builder
	report.Write(&out, check.WriteOptions{Format: "json"})
	var parsed struct{ Cases []struct{ Want, Got string } }
	if err := json.Unmarshal([]byte(out.String()), &parsed); err != nil || len(parsed.Cases) == 0 {
		t.Fatalf("the JSON report: %v, %d cases", err, len(parsed.Cases))
	}
	for _, c := range parsed.Cases {
		if strings.ContainsAny(c.Want+c.Got, "\x1b\x07\u202e") {
			t.Errorf("JSON want or got not escaped: %q %q", c.Want, c.Got)
		}
	}
}
