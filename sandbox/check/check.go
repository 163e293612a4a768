// Package check grades a mail server a student wrote: it talks to it as
// a careful client does, one case per behaviour the RFCs ask for, each on
// a connection of its own, and says for each what was expected, what
// came, and the exchange that shows it, every line explained as
// everywhere in maillab.
//
// A case is required (clients or mail suffer without it: a reply's
// format, 503 for a command out of order, RSET clearing a transaction,
// the end of a message found whatever its lines say) or strict (the
// RFC's letter, which real servers relax by default: MAIL before EHLO,
// an address without angle brackets). Strict cases warn, or fail with
// Options.Strict. Where the RFC allows several answers, each passes.
package check

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"slices"
	"time"

	"maillab/trace"
	"maillab/trace/i18n"
)

// Level says how much a case counts.
type Level string

// The levels.
const (
	Required Level = "required" // clients or mail suffer without it
	Strict   Level = "strict"   // the RFC's letter, relaxed by real servers: a warning unless --strict
)

// In is the level in p's language.
func (l Level) In(p *i18n.Printer) string {
	if l == Strict {
		return i18n.Or(p).Tr(i18n.N("strict"))
	}
	return i18n.Or(p).Tr(i18n.N("required"))
}

// Outcome is how a case went.
type Outcome string

// The outcomes.
const (
	Pass Outcome = "pass"
	Fail Outcome = "fail"
	Warn Outcome = "warn" // a strict case failed without --strict
	Skip Outcome = "skip" // the server does not offer what the case needs
)

// Case is one behaviour checked.
type Case struct {
	ID    string // e.g. "smtp.rcpt-before-mail"
	Level Level
	RFC   string // where the RFC asks for it, e.g. "RFC 5321 4.1.4"
	What  string // what is checked, in English (i18n.N)
	// Needs names what the server must offer for the case to run: EHLO
	// keywords or CAPA tags ("SIZE", "UIDL"), a login that works, messages
	// in the mailbox, the messages --fill sent.
	Needs []string
	run   func(c *Conn) verdict
	// ownLogin: the case's own lines log in (or try to), so a server that
	// takes mail only after a login gets none added after its hello.
	ownLogin bool
}

// verdict is what a case's run found: whether it held, what was expected
// and what came instead.
type verdict struct {
	ok   bool
	skip bool // the case cannot run here: want says what it needs
	want i18n.Text
	got  string
}

// Result is one case's outcome.
type Result struct {
	Case       *Case
	Outcome    Outcome
	Want       i18n.Text // what was expected
	Got        string    // what came
	Transcript []trace.Event
}

// Options say what to check and how.
type Options struct {
	Proto    string // smtp or pop3
	Addr     string // host:port
	User     string // for the login cases; "" skips them
	Password string
	TLS      string      // "": plaintext; "starttls": STARTTLS (STLS) first; "implicit": TLS from the first byte
	TLSConf  *tls.Config // how to verify the server; nil: not verified (a student's certificate)
	Domain   string      // the server's own domain, for local recipients; "": the one its greeting names
	Strict   bool        // strict cases fail rather than warn
	Timeout  time.Duration
	Only     []string // case ids to run; none: all
	Fill     string   // POP3: an SMTP server (host:port) to send the mailbox the messages some cases read
	FillTo   string   // the address --fill sends to; "": User, or User@Domain
	// Progress, when set, hears of each case as it ends (done of total).
	Progress func(res Result, done, total int)

	token string // the run's mark on the messages --fill sends
	rcpt  string // SMTP: the domain to give postmaster when the server refuses it bare ("": it takes it)
	// loginFirst: the SMTP server answers MAIL 530 before a login (a
	// submission server, RFC 4954 6): cases log in after EHLO.
	loginFirst bool
}

// Report is every case's result.
type Report struct {
	Proto   string
	Addr    string
	Results []Result
	Offered map[string]bool // the EHLO keywords (or CAPA tags) the server offered
}

// Counts returns how many cases passed, failed, warned and were skipped.
func (r *Report) Counts() (pass, fail, warn, skip int) {
	for _, res := range r.Results {
		switch res.Outcome {
		case Pass:
			pass++
		case Fail:
			fail++
		case Warn:
			warn++
		case Skip:
			skip++
		}
	}
	return pass, fail, warn, skip
}

// OK reports whether every case that counts passed.
func (r *Report) OK() bool {
	_, fail, _, _ := r.Counts()
	return fail == 0
}

// Cases lists a protocol's cases, in the order they run.
func Cases(proto string) []*Case {
	if proto == "pop3" {
		return pop3Cases
	}
	return smtpCases
}

// Run checks the server at opts.Addr, every case on a connection of its
// own. It returns an error only when the server cannot be checked at all
// (nothing listens, or its greeting is no greeting).
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Proto != "smtp" && opts.Proto != "pop3" {
		return nil, i18n.Errorf("check %q: choose smtp or pop3", opts.Proto)
	}
	opts.token = newToken()
	offered, err := discover(ctx, opts)
	if err != nil {
		return nil, err
	}
	if opts.Proto == "smtp" {
		opts.rcpt, opts.loginFirst = probeTransaction(ctx, opts, offered)
	}
	report := &Report{Proto: opts.Proto, Addr: opts.Addr, Offered: offered}
	var cases []*Case
	for _, c := range Cases(opts.Proto) {
		if chosen(c, opts.Only) {
			cases = append(cases, c)
		}
	}
	for i, c := range cases {
		if ctx.Err() != nil {
			return report, ctx.Err()
		}
		res := runCase(ctx, c, opts, offered)
		report.Results = append(report.Results, res)
		if opts.Progress != nil {
			opts.Progress(res, i+1, len(cases))
		}
	}
	return report, nil
}

// UnknownCases are the ids in only that are no case of the protocol.
func UnknownCases(proto string, only []string) []string {
	var unknown []string
	for _, id := range only {
		if !slices.ContainsFunc(Cases(proto), func(c *Case) bool { return c.ID == id }) {
			unknown = append(unknown, id)
		}
	}
	return unknown
}

func chosen(c *Case, only []string) bool { return len(only) == 0 || slices.Contains(only, c.ID) }

// runCase runs one case on a fresh connection.
func runCase(ctx context.Context, c *Case, opts Options, offered map[string]bool) Result {
	res := Result{Case: c}
	for _, need := range c.Needs {
		if !offered[need] {
			res.Outcome, res.Want = Skip, needText(need, opts)
			return res
		}
	}
	conn, err := dial(ctx, opts, offered)
	if err != nil {
		res.Outcome, res.Want, res.Got = Fail, i18n.T("a connection and a greeting"), i18n.TranslateError(nil, err)
		return res
	}
	conn.ownLogin = c.ownLogin
	v := c.run(conn)
	conn.close()
	res.Want, res.Got, res.Transcript = v.want, v.got, conn.events
	switch {
	case v.skip:
		res.Outcome, res.Transcript = Skip, nil
	case v.ok:
		res.Outcome = Pass
	case c.Level == Strict && !opts.Strict:
		res.Outcome = Warn
	default:
		res.Outcome = Fail
	}
	return res
}

// needText says what a skipped case needed.
func needText(need string, opts Options) i18n.Text {
	switch need {
	case needLogin:
		if opts.User == "" {
			return i18n.T("a user and a password (--user, --password)")
		}
		return i18n.T("a user and a password that log in")
	case needMessages:
		return i18n.T("a message in the mailbox (send one, or --fill)")
	case needTwo:
		return i18n.T("two messages in the mailbox (--fill sends two)")
	case needOurs:
		return i18n.T("the messages --fill sends (--fill SMTP-HOST:PORT)")
	}
	return i18n.T("the server to offer %s", need)
}

// newToken is a random mark for the messages a run sends.
func newToken() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "check-" + hex.EncodeToString(b)
}
