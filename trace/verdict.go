package trace

import (
	"strings"

	"maillab/trace/i18n"
	"maillab/trace/proto"
)

// A verdict is what a server saw a client program do wrong or risky in a
// session, said when the session ends (Action Verdict, its findings in
// Facts.Findings). It is the server's witness: counted from the bytes
// that crossed the connection and the replies they got, never from what
// the client says of itself.

// Severity says how much a finding counts.
type Severity string

// The severities.
const (
	// Problem: the client broke a rule that servers or mail suffer from.
	Problem Severity = "problem"
	// Caution: allowed here, but risky elsewhere; never counts against a
	// student (it never makes one look stuck).
	Caution Severity = "caution"
)

// Rule names a finding.
type Rule string

// The rules.
const (
	NoHello        Rule = "no-hello"        // a transaction or login before EHLO/HELO
	NoQuit         Rule = "no-quit"         // the client dropped the connection without QUIT
	LongLine       Rule = "long-line"       // a line over the protocol's limit
	RawHeader      Rule = "8bit-header"     // non-ASCII bytes in a header, not encoded (RFC 2047)
	Undeclared8Bit Rule = "8bit-undeclared" // 8-bit content without BODY=8BITMIME
	Pipelined      Rule = "pipelining"      // commands sent before their answers, where that is not allowed
	PlainLogin     Rule = "plaintext-login" // a password sent in the clear while TLS was offered
	BareLF         Rule = "bare-lf"         // lines ended by LF alone
	NoDate         Rule = "no-date"         // a message without a Date: field
	NoMessageID    Rule = "no-message-id"   // a message without a Message-ID: field
)

// Rules lists every rule, for pages that explain them and tests that
// each is explained.
var Rules = []Rule{NoHello, NoQuit, LongLine, RawHeader, Undeclared8Bit, Pipelined, PlainLogin, BareLF, NoDate, NoMessageID}

// Finding is one thing a client did, how often, and a line that shows it.
type Finding struct {
	Rule     Rule     `json:"rule"`
	Severity Severity `json:"severity"`
	RFC      string   `json:"rfc"`
	Count    int      `json:"count"`
	Example  string   `json:"example,omitempty"` // the first line that showed it, as the client sent it
}

// Problems counts the findings that are problems, not cautions.
func Problems(findings []Finding) int {
	n := 0
	for _, f := range findings {
		if f.Severity == Problem {
			n++
		}
	}
	return n
}

// ruleWords are what people read of a rule, in English (the catalogue's
// keys): a few words for a table cell, what the client did, and what it
// should do instead.
type ruleWords struct{ label, found, advice string }

var ruleTable = map[Rule]ruleWords{
	NoHello: {i18n.N("no EHLO"), i18n.N("no EHLO or HELO before the transaction"),
		i18n.N("say EHLO (or HELO) first: servers may refuse mail from a client that never introduced itself")},
	NoQuit: {i18n.N("no QUIT"), i18n.N("the connection dropped without QUIT"),
		i18n.N("end with QUIT and read its answer: a POP3 server deletes nothing without it, and an SMTP server cannot tell a finished session from a broken one")},
	LongLine: {i18n.N("long lines"), i18n.N("lines longer than the limit"),
		i18n.N("keep message lines within 998 octets (encode long ones as quoted-printable or Base64) and commands within 512 (SMTP) or 255 (POP3)")},
	RawHeader: {i18n.N("raw 8-bit header"), i18n.N("non-ASCII bytes in a header without RFC 2047 encoding"),
		i18n.N("encode non-ASCII text in headers as encoded-words, =?UTF-8?B?...?=")},
	Undeclared8Bit: {i18n.N("8-bit undeclared"), i18n.N("8-bit content without BODY=8BITMIME"),
		i18n.N("declare 8-bit content with MAIL FROM:<...> BODY=8BITMIME when 8BITMIME is offered, or send it as Base64 or quoted-printable")},
	Pipelined: {i18n.N("pipelined unasked"), i18n.N("commands sent before the answer to the last one, which the server had not allowed"),
		i18n.N("wait for each answer, unless the server offered PIPELINING (then DATA, or the end of a group, still waits)")},
	PlainLogin: {i18n.N("password in clear"), i18n.N("a password sent in the clear although TLS was offered"),
		i18n.N("start TLS first (STARTTLS, STLS, or the implicit TLS port), then log in")},
	BareLF: {i18n.N("bare LF"), i18n.N("lines ended by a bare LF, not CRLF"),
		i18n.N("end lines with CRLF: this sandbox takes a bare LF for nc, but real servers need not")},
	NoDate: {i18n.N("no Date:"), i18n.N("a message without a Date: field"),
		i18n.N("add a Date: field; this submission server added one, but other servers need not")},
	NoMessageID: {i18n.N("no Message-ID:"), i18n.N("a message without a Message-ID: field"),
		i18n.N("add a Message-ID: field; this submission server added one, but other servers need not")},
}

// RuleLabel names a rule in a few words, in p's language.
func RuleLabel(p *i18n.Printer, r Rule) string { return ruleText(p, r, ruleTable[r].label, string(r)) }

// RuleIn says what a rule found, in p's language.
func RuleIn(p *i18n.Printer, r Rule) string { return ruleText(p, r, ruleTable[r].found, string(r)) }

// RuleAdvice says what to do instead, in p's language.
func RuleAdvice(p *i18n.Printer, r Rule) string { return ruleText(p, r, ruleTable[r].advice, "") }

// ruleText is one of a rule's words in p's language (or, for a rule the
// table lacks, missing).
func ruleText(p *i18n.Printer, r Rule, english, missing string) string {
	if _, ok := ruleTable[r]; !ok {
		return missing
	}
	return i18n.Or(p).Tr(english)
}

// verdictIn is a verdict's sentence: no problems, or each finding, how
// often, and its RFC.
func verdictIn(p *i18n.Printer, findings []Finding) string {
	if len(findings) == 0 {
		return p.Tr("verdict on this client: nothing wrong")
	}
	parts := make([]string, len(findings))
	for i, f := range findings {
		word := p.Tr("problem")
		if f.Severity == Caution {
			word = p.Tr("caution")
		}
		parts[i] = p.Trf("%s: %s (%s, %s)", word, RuleIn(p, f.Rule), p.Count(f.Count, "time"), f.RFC)
	}
	return p.Trf("verdict on this client: %s", strings.Join(parts, "; "))
}

// judge watches a client on the server's side of a Tap and keeps its
// findings.
type judge struct {
	proto      proto.Name
	offersTLS  bool // the server offers STARTTLS or STLS on this connection
	findings   []Finding
	pending    int             // commands (and the greeting, and a message's final dot) not yet answered in full
	hello      bool            // EHLO or HELO answered 250 (since TLS started, if it did)
	helloSent  bool            // EHLO or HELO sent, its answer maybe not yet seen (pipelined)
	pipelining bool            // the server offered PIPELINING in this session
	said       bool            // the client sent a command
	quit       bool            // the client said QUIT
	lastErr    bool            // the last thing that happened was the server refusing or giving up
	body8bit   bool            // SMTP: the transaction's MAIL said BODY=8BITMIME
	inHeader   bool            // in the message's own header section
	fields     map[string]bool // the fields of the message being sent; nil between messages
	blind      bool            // the session went on past what the Tap follows
}

func newJudge(p proto.Name, offersTLS bool) *judge {
	return &judge{proto: p, offersTLS: offersTLS, pending: 1}
}

// find counts a finding of a rule, keeping the first example.
func (j *judge) find(r Rule, sev Severity, rfc, example string) {
	for i := range j.findings {
		if j.findings[i].Rule == r {
			j.findings[i].Count++
			return
		}
	}
	if len(example) > 120 {
		example = strings.ToValidUTF8(example[:120], "") + "…"
	}
	example = Visible(example) // a client's bytes reach pages and terminals escaped
	j.findings = append(j.findings, Finding{Rule: r, Severity: sev, RFC: rfc, Count: 1, Example: example})
}

// client judges a line the client sent.
func (j *judge) client(m proto.Mark, line string, octets int, bareLF, secure bool) {
	example := line
	if m.Kind != proto.Data && (m.Secret || m.Challenge || isLogin(j.proto, m.Verb) || m.Verb == "USER") {
		example = m.Verb // a password is never an example, nor a login line (a password typed as the name)
	}
	if bareLF {
		j.find(BareLF, Caution, j.pick("RFC 5321 2.3.8", "RFC 1939 3"), example)
	}
	if m.Kind == proto.Data {
		j.content(m, line, octets)
		return
	}
	j.lastErr = false
	line = example
	if j.pending > 0 && !j.pipelining {
		j.find(Pipelined, Problem, j.pick("RFC 2920 3.1", "RFC 2449 6.6"), line)
	}
	j.pending++
	if !m.Challenge {
		j.said = true
	}
	if limit := j.commandLimit(m); octets > limit {
		j.find(LongLine, Problem, j.pick("RFC 5321 4.5.3.1.4", "RFC 2449 4"), line)
	}
	switch m.Verb {
	case "QUIT":
		j.quit = true
	case "EHLO", "HELO":
		j.helloSent = true
	case "MAIL", "RCPT", "DATA", "AUTH":
		if j.proto == proto.SMTP && !j.hello && !j.helloSent {
			j.find(NoHello, Problem, "RFC 5321 4.1.4", line)
		}
	}
	if m.Verb == "MAIL" {
		j.body8bit = strings.Contains(strings.ToUpper(line), "BODY=8BITMIME")
	}
	if j.offersTLS && !secure && isLogin(j.proto, m.Verb) {
		j.find(PlainLogin, Problem, "RFC 8314 4", m.Verb)
	}
}

// isLogin reports whether a verb sends a password (or starts a login).
func isLogin(p proto.Name, verb string) bool {
	if p == proto.SMTP {
		return verb == "AUTH"
	}
	return verb == "PASS" || verb == "AUTH" || verb == "APOP"
}

// content judges a line of a message a client sends (SMTP's DATA).
func (j *judge) content(m proto.Mark, line string, octets int) {
	if j.proto != proto.SMTP {
		return
	}
	if j.pending > 0 {
		// sent before the 354 that invites it: never allowed, PIPELINING
		// or not (DATA ends a group)
		j.find(Pipelined, Problem, "RFC 2920 3.1", line)
		j.pending = 0
	}
	if j.fields == nil {
		j.inHeader, j.fields = true, map[string]bool{}
	}
	if line == "." {
		j.endMessage()
		j.pending++ // its answer is due
		return
	}
	if octets > 1000 {
		j.find(LongLine, Problem, "RFC 5321 4.5.3.1.6", line)
	}
	eight := !isASCII(shownPart(line, octets))
	if eight && !j.body8bit {
		j.find(Undeclared8Bit, Problem, "RFC 6152 3", line)
	}
	c := m.Content
	switch {
	case c != nil && (c.EndOfHeader || c.NoBlank):
		j.inHeader = false
	case j.inHeader:
		if eight {
			j.find(RawHeader, Problem, "RFC 5322 2.2, RFC 2047", line)
		}
		if c != nil && c.Field != "" {
			j.fields[c.Field] = true
		}
	}
}

// endMessage checks the message's header section once it has ended.
func (j *judge) endMessage() {
	if !j.fields["date"] {
		j.find(NoDate, Caution, "RFC 5322 3.6.1, RFC 6409 8.2", "")
	}
	if !j.fields["message-id"] {
		j.find(NoMessageID, Caution, "RFC 5322 3.6.4, RFC 6409 8.3", "")
	}
	j.inHeader, j.fields = false, nil
}

// server follows a line the server sent.
func (j *judge) server(m proto.Mark, line string) {
	switch {
	case j.proto == proto.POP3 && m.Verb == "CAPA" && m.Kind == proto.Data:
		j.capa(line)
	case j.proto == proto.SMTP && m.Kind == proto.Reply && m.Verb == "EHLO" && offers(line, "PIPELINING"):
		j.pipelining = true
	}
	if !m.Final {
		return
	}
	j.pending = max(j.pending-1, 0)
	j.lastErr = proto.Refused(m.Status)
	if (m.Verb == "EHLO" || m.Verb == "HELO") && strings.HasPrefix(m.Status, "2") {
		j.hello = true
	}
}

// offers reports whether an EHLO reply line names an extension.
func offers(line, keyword string) bool {
	if len(line) < 5 {
		return false
	}
	fields := strings.Fields(line[4:])
	return len(fields) > 0 && strings.EqualFold(fields[0], keyword)
}

// capa follows a line of a POP3 CAPA answer.
func (j *judge) capa(line string) {
	if strings.EqualFold(strings.TrimSpace(line), "PIPELINING") {
		j.pipelining = true
	}
}

// restart forgets what TLS starting over forgets (RFC 3207 4.2, RFC 2595
// 4): the hello and the extensions. No greeting follows a handshake.
func (j *judge) restart() {
	j.hello, j.helloSent, j.pipelining, j.pending = false, false, false, 0
}

// verdict is the session's findings once it has ended. A session too
// long to follow to its end (blind) is not blamed for what came after.
func (j *judge) verdict() []Finding {
	if j.said && !j.quit && !j.lastErr && !j.blind {
		j.find(NoQuit, Problem, j.pick("RFC 5321 4.1.1.10", "RFC 1939 6"), "")
	}
	return j.findings
}

// commandLimit is the longest command line, CRLF included: 512 octets in
// SMTP (RFC 5321 4.5.3.1.4) but 12,288 for AUTH, 255 in POP3 (RFC 2449 4).
func (j *judge) commandLimit(m proto.Mark) int {
	switch {
	case j.proto == proto.SMTP && (m.Verb == "AUTH" || m.Challenge):
		return 12288 // RFC 4954 4: AUTH and its answers may be longer
	case j.proto == proto.POP3:
		return 255
	}
	return 512
}

// pick chooses by protocol.
func (j *judge) pick(smtp, pop3 string) string {
	if j.proto == proto.POP3 {
		return pop3
	}
	return smtp
}

// shownPart is a line as it was sent, without the note the Tap adds to a
// line it cut short.
func shownPart(line string, octets int) string {
	if octets > maxShownLine {
		if i := strings.LastIndex(line, " …("); i >= 0 {
			return line[:i]
		}
	}
	return line
}
