package check

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"

	"maillab/trace/i18n"
)

// smtpCases are the SMTP cases, in the order they run.
var smtpCases = []*Case{
	{ID: "smtp.greeting", Level: Required, RFC: "RFC 5321 3.1, 4.2", What: i18n.N("the greeting is a 220 reply, well formed"), run: greeting},
	{ID: "smtp.ehlo", Level: Required, RFC: "RFC 5321 4.1.1.1", What: i18n.N("EHLO is answered 250"), run: script(hello)},
	{ID: "smtp.multiline", Level: Required, RFC: "RFC 5321 4.2", What: i18n.N("a multi-line reply: every line but the last has a hyphen after the code, the last a space"), run: multiline},
	{ID: "smtp.helo", Level: Required, RFC: "RFC 5321 4.1.1.1", What: i18n.N("HELO (for clients that know no EHLO) is answered 250"), run: script(helo)},
	{ID: "smtp.ehlo-no-name", Level: Strict, RFC: "RFC 5321 4.1.1.1", What: i18n.N("EHLO without a name is refused 501"), run: script(say("EHLO", 501))},
	{ID: "smtp.unknown-command", Level: Required, RFC: "RFC 5321 4.2.4", What: i18n.N("an unknown command is refused (500, or 502 as Postfix says), and the session goes on"), run: script(hello, say("FROB now", 500, 502), say("NOOP", 250))},
	{ID: "smtp.unknown-500", Level: Strict, RFC: "RFC 5321 4.2.4", What: i18n.N("an unknown command is answered 500 (502 is for a command known but not implemented)"), run: script(hello, say("FROB now", 500))},
	{ID: "smtp.empty-line", Level: Strict, RFC: "RFC 5321 4.2.2", What: i18n.N("an empty line is answered 500"), run: script(hello, say("", 500))},
	{ID: "smtp.noop", Level: Required, RFC: "RFC 5321 4.1.1.9", What: i18n.N("NOOP is answered 250, with or without an argument"), run: script(hello, say("NOOP", 250), say("NOOP now", 250))},
	{ID: "smtp.case", Level: Required, RFC: "RFC 5321 2.4", What: i18n.N("commands are case-insensitive: mail from:<> is MAIL FROM:<>"), run: script(hello, say("mail from:<>", 250))},
	{ID: "smtp.null-sender", Level: Required, RFC: "RFC 5321 4.5.5, 3.6.3", What: i18n.N("the null sender MAIL FROM:<> is accepted (bounces use it)"), run: script(hello, say("MAIL FROM:<>", 250))},
	{ID: "smtp.postmaster", Level: Required, RFC: "RFC 5321 4.5.1", What: i18n.N("RCPT TO:<Postmaster> is accepted, without a domain, in any case"), run: script(hello, say("MAIL FROM:<>", 250), say("RCPT TO:<PostMaster>", 250))},
	{ID: "smtp.rcpt-before-mail", Level: Required, RFC: "RFC 5321 4.1.4, 3.3", What: i18n.N("RCPT before MAIL is refused 503"), run: script(hello, say("RCPT TO:<postmaster>", 503))},
	{ID: "smtp.data-before-rcpt", Level: Required, RFC: "RFC 5321 3.3", What: i18n.N("DATA without a recipient is refused 503 (or 554)"), run: script(hello, say("MAIL FROM:<>", 250), say("DATA", 503, 554))},
	{ID: "smtp.mail-twice", Level: Strict, RFC: "RFC 5321 4.1.4", What: i18n.N("a second MAIL inside a transaction is refused 503"), run: script(hello, say("MAIL FROM:<>", 250), say("MAIL FROM:<>", 503))},
	{ID: "smtp.mail-before-hello", Level: Strict, RFC: "RFC 5321 4.1.4", What: i18n.N("MAIL before EHLO or HELO is refused 503"), run: script(say("MAIL FROM:<>", 503))},
	{ID: "smtp.mail-syntax", Level: Required, RFC: "RFC 5321 4.1.1.2", What: i18n.N("MAIL FROM: without an address is refused (501, 553 or 555)"), run: script(hello, say("MAIL FROM:", 501, 553, 555))},
	{ID: "smtp.mail-unclosed", Level: Strict, RFC: "RFC 5321 4.1.2", What: i18n.N("MAIL FROM with an unclosed address is refused (501, 553 or 555)"), run: script(hello, say("MAIL FROM:<nobody@example.org", 501, 553, 555))},
	{ID: "smtp.mail-brackets", Level: Strict, RFC: "RFC 5321 4.1.2", What: i18n.N("MAIL FROM without angle brackets is refused 501"), run: script(hello, say("MAIL FROM:nobody@example.org", 501, 553, 555))},
	{ID: "smtp.postmaster-brackets", Level: Strict, RFC: "RFC 5321 4.1.1.3", What: i18n.N("RCPT TO:Postmaster without angle brackets is refused 501"), run: script(hello, say("MAIL FROM:<>", 250), say("RCPT TO:Postmaster", 501, 553, 555))},
	{ID: "smtp.rset", Level: Required, RFC: "RFC 5321 4.1.1.5", What: i18n.N("RSET ends the transaction: DATA after it is refused"), run: script(hello, say("MAIL FROM:<>", 250), say("RCPT TO:<postmaster>", 250), say("RSET", 250), say("DATA", 503, 554))},
	{ID: "smtp.ehlo-resets", Level: Required, RFC: "RFC 5321 4.1.4", What: i18n.N("a second EHLO ends the transaction too"), run: script(hello, say("MAIL FROM:<>", 250), say("RCPT TO:<postmaster>", 250), hello, say("DATA", 503, 554))},
	{ID: "smtp.rset-idle", Level: Required, RFC: "RFC 5321 4.1.1.5", What: i18n.N("RSET outside a transaction is answered 250 too"), run: script(hello, say("RSET", 250), say("MAIL FROM:<>", 250))},
	{ID: "smtp.mail-parameter", Level: Required, RFC: "RFC 5321 4.1.1.11", What: i18n.N("MAIL with a parameter the server does not know is refused (555, or 501 or 504)"), run: script(hello, say("MAIL FROM:<> FROB=1", 555, 501, 504))},
	{ID: "smtp.recipients", Level: Required, RFC: "RFC 5321 4.5.3.1.8", What: i18n.N("several recipients in one transaction are each accepted"), run: script(hello, say("MAIL FROM:<>", 250), say("RCPT TO:<postmaster>", 250), say("RCPT TO:<Postmaster>", 250))},
	{ID: "smtp.data", Level: Required, RFC: "RFC 5321 4.1.1.4", What: i18n.N("a message: 354 to DATA, 250 to the final dot, and the session goes on"), run: data(false)},
	{ID: "smtp.transparency", Level: Required, RFC: "RFC 5321 4.5.2", What: i18n.N("a line starting with a dot (sent doubled) does not end the message; only a lone dot does"), run: data(true)},
	{ID: "smtp.long-line", Level: Required, RFC: "RFC 5321 4.5.3.1.4", What: i18n.N("a command line of 2,000 octets gets a reply, and the session goes on"), run: longLine},
	{ID: "smtp.vrfy", Level: Required, RFC: "RFC 5321 3.5.3", What: i18n.N("VRFY gets one of the answers the RFC allows (250, 251, 252, 502, 550…)"), run: script(hello, say("VRFY postmaster", 250, 251, 252, 500, 502, 504, 550, 551, 553))},
	{ID: "smtp.help", Level: Strict, RFC: "RFC 5321 4.1.1.8", What: i18n.N("HELP gets 211 or 214, or 500 or 502 where it is not offered (it is not in the minimum of RFC 5321 4.5.1)"), run: script(hello, say("HELP", 211, 214, 500, 502))},
	{ID: "smtp.quit", Level: Required, RFC: "RFC 5321 4.1.1.10", What: i18n.N("QUIT is answered 221, then the server closes the connection"), run: quit},
	{ID: "smtp.size", Level: Required, RFC: "RFC 1870 4, 6", Needs: []string{"SIZE"}, What: i18n.N("with SIZE offered, MAIL's SIZE= is taken, and a size over the limit refused 552"), run: size},
	{ID: "smtp.8bitmime", Level: Required, RFC: "RFC 6152 3", Needs: []string{"8BITMIME"}, What: i18n.N("with 8BITMIME offered, MAIL's BODY=8BITMIME is accepted"), run: script(hello, say("MAIL FROM:<> BODY=8BITMIME", 250))},
	{ID: "smtp.enhanced-codes", Level: Required, RFC: "RFC 2034 3", Needs: []string{"ENHANCEDSTATUSCODES"}, What: i18n.N("with ENHANCEDSTATUSCODES offered, replies carry a status code of their class (5.x.x after a 5yz)"), run: enhanced},
	{ID: "smtp.pipelining", Level: Required, RFC: "RFC 2920 3.1", Needs: []string{"PIPELINING"}, What: i18n.N("with PIPELINING offered, commands sent at once get their replies in order"), run: pipelining},
	{ID: "smtp.auth-before-hello", ownLogin: true, Level: Strict, RFC: "RFC 5321 2.2.1", Needs: []string{"AUTH=PLAIN"}, What: i18n.N("AUTH before EHLO is refused 503"), run: script(say("AUTH PLAIN", 503))},
	{ID: "smtp.auth-bad-base64", ownLogin: true, Level: Required, RFC: "RFC 4954 4", Needs: []string{"AUTH=PLAIN"}, What: i18n.N("an answer to AUTH that is no Base64 is refused 501"), run: script(hello, say("AUTH PLAIN !!!not-base64!!!", 501, 535))},
	{ID: "smtp.auth-cancel", ownLogin: true, Level: Required, RFC: "RFC 4954 4", Needs: []string{"AUTH=PLAIN"}, What: i18n.N("AUTH PLAIN without its answer gets 334; * then cancels it: 501"), run: script(hello, say("AUTH PLAIN", 334), say("*", 501))},
	{ID: "smtp.auth-plain", ownLogin: true, Level: Required, RFC: "RFC 4954 4, 4616", Needs: []string{"AUTH=PLAIN", needLogin}, What: i18n.N("AUTH PLAIN with the right user and password is answered 235"), run: authPlain(true)},
	{ID: "smtp.auth-login", ownLogin: true, Level: Required, RFC: "RFC 4954 4, draft-murchison-sasl-login", Needs: []string{"AUTH=LOGIN", needLogin}, What: i18n.N("AUTH LOGIN asks twice (334) and answers the right password 235"), run: authLogin},
	{ID: "smtp.auth-wrong", ownLogin: true, Level: Required, RFC: "RFC 4954 4, 6", Needs: []string{"AUTH=PLAIN", needLogin}, What: i18n.N("a wrong password is refused (535, or 454 or 534)"), run: authPlain(false)},
	{ID: "smtp.auth-unknown-mechanism", ownLogin: true, Level: Strict, RFC: "RFC 4954 4", Needs: []string{"AUTH"}, What: i18n.N("AUTH with a mechanism the server does not offer is refused 504"), run: script(hello, say("AUTH X-MAILLAB-NONE", 504))},
	{ID: "smtp.auth-twice", ownLogin: true, Level: Required, RFC: "RFC 4954 4", Needs: []string{"AUTH=PLAIN", needLogin}, What: i18n.N("AUTH after a successful AUTH is refused 503"), run: authTwice},
	{ID: "smtp.auth-in-transaction", Level: Required, RFC: "RFC 4954 4", Needs: []string{"AUTH=PLAIN"}, What: i18n.N("AUTH inside a mail transaction is refused 503"), run: script(hello, say("MAIL FROM:<>", 250), say("AUTH PLAIN", 503))},
	{ID: "smtp.starttls-argument", Level: Strict, RFC: "RFC 3207 4", Needs: []string{"STARTTLS"}, What: i18n.N("STARTTLS with an argument is refused 501"), run: script(hello, say("STARTTLS now", 501))},
	{ID: "smtp.starttls-restart", Level: Required, RFC: "RFC 3207 4.2", Needs: []string{"STARTTLS"}, What: i18n.N("after STARTTLS and the handshake, EHLO is answered 250 and no longer offers STARTTLS"), run: starttlsRestart},
}

// step is a line and the codes that may answer it.
type step struct {
	line  string
	codes []int
}

// say is a step: a line and the codes that may answer it.
func say(line string, codes ...int) step { return step{line, codes} }

// hello is EHLO with this end's address literal, filled in at run.
var hello = say("\x00EHLO", 250)

// helo is HELO with this end's address literal, filled in at run.
var helo = say("\x00HELO", 250)

// script runs lines one by one, each needing one of its codes.
func script(steps ...step) func(c *Conn) verdict {
	return func(c *Conn) verdict {
		return c.steps(steps...)
	}
}

// steps says each step's line and checks its reply, up to the first
// that is not as it should be.
func (c *Conn) steps(steps ...step) verdict {
	for _, st := range steps {
		line := st.line
		switch line {
		case hello.line:
			line = "EHLO " + c.literal()
		case helo.line:
			line = "HELO " + c.literal()
		}
		line = c.recipient(line)
		codes := st.codes
		if strings.HasPrefix(line, "RCPT ") && slices.Contains(codes, 250) {
			codes = append(codes, 251) // "user not local; will forward" accepts too (RFC 5321 4.3.2)
		}
		r := c.cmd(line)
		if r.is(530) && c.opts.loginFirst && c.opts.User == "" {
			return needLoginFirst
		}
		if !r.is(codes...) {
			return failed(line, st.codes, r)
		}
		greeted := st.line == hello.line || st.line == helo.line
		if greeted && c.opts.User != "" && !c.ownLogin {
			if v := c.loginFirst(); !v.ok {
				return v
			}
		}
	}
	return verdict{ok: true}
}

// failed is a verdict for a line whose reply was not one of codes.
func failed(line string, codes []int, r reply) verdict {
	want := make([]string, len(codes))
	for i, code := range codes {
		want[i] = strconv.Itoa(code)
	}
	got := r.String()
	if r.bad != "" {
		got += " (" + r.bad + ")"
	}
	return verdict{want: i18n.T("%s to %q", strings.Join(want, " or "), printable(line)), got: got}
}

// printable shortens a line for a report.
func printable(line string) string {
	if len(line) > 60 {
		return line[:57] + "..."
	}
	return line
}

func greeting(c *Conn) verdict {
	if !c.greeting.is(220) {
		return failed("", []int{220}, c.greeting)
	}
	return verdict{ok: true}
}

// multiline checks the form of EHLO's reply, line by line.
func multiline(c *Conn) verdict {
	r := c.ehlo()
	if r.err != nil || r.bad != "" || r.code != 250 {
		return failed("EHLO", []int{250}, r)
	}
	for i, line := range r.lines {
		sep := byte(' ')
		if len(line) > 3 {
			sep = line[3]
		}
		if last := i == len(r.lines)-1; last && sep != ' ' || !last && sep != '-' {
			return verdict{want: i18n.T("250- on every line but the last, 250 and a space on the last"), got: r.String()}
		}
	}
	if quiet, line := c.quiet(300 * time.Millisecond); !quiet {
		return verdict{want: i18n.T("nothing after the reply's last line"), got: line}
	}
	return verdict{ok: true}
}

// data sends a message; with stuffing, lines that start with a dot (sent
// doubled, and a lone-looking one) that must not end it, and no reply
// may come before the final dot.
func data(stuffing bool) func(c *Conn) verdict {
	return func(c *Conn) verdict {
		if v := c.steps(hello, say("MAIL FROM:<>", 250), say("RCPT TO:<postmaster>", 250), say("DATA", 354)); !v.ok {
			return v
		}
		body := "From: <maillab-check@example.org>\r\nTo: <postmaster>\r\nSubject: maillab check\r\n" +
			"Date: " + time.Now().Format(time.RFC1123Z) + "\r\nMessage-ID: <" + c.opts.token + "-data@maillab.check>\r\n\r\nfirst line\r\n"
		if stuffing {
			body += "..a line that starts with one dot\r\n..\r\n...\r\nlast line\r\n"
		}
		c.write(body)
		if quiet, line := c.quiet(500 * time.Millisecond); stuffing && !quiet {
			return verdict{want: i18n.T("no reply before the final dot"), got: line}
		}
		want := []int{250}
		if stuffing {
			want = []int{250, 450, 451, 452, 550, 552, 554} // the end was found, whatever the server made of the message
		}
		if r := c.cmd("."); !r.is(want...) {
			return failed(".", want, r)
		}
		if r := c.cmd("NOOP"); !r.is(250) {
			return failed("NOOP", []int{250}, r)
		}
		return verdict{ok: true}
	}
}

// longLine sends a 2,000-octet command line: any well-formed reply (RFC
// 5321 4.5.3.1 lets a server take lines longer than 512 octets), then the
// session must go on.
func longLine(c *Conn) verdict {
	c.ehlo()
	line := "NOOP " + strings.Repeat("x", 2000)
	codes := []int{250, 500, 501, 552}
	if r := c.cmd(line); !r.is(codes...) {
		return failed(line, codes, r)
	}
	if r := c.cmd("NOOP"); !r.is(250) {
		return failed("NOOP", []int{250}, r)
	}
	return verdict{ok: true}
}

func quit(c *Conn) verdict {
	return c.quitCloses(func(r reply) bool { return r.is(221) }, "221")
}

// size checks MAIL's SIZE= parameter both ways.
func size(c *Conn) verdict {
	r, v := c.greetForMail()
	if !v.ok {
		return v
	}
	limit := int64(0)
	for _, words := range r.extensions() {
		if len(words) == 2 && words[0] == "SIZE" {
			limit, _ = strconv.ParseInt(words[1], 10, 64)
		}
	}
	if r := c.cmd("MAIL FROM:<> SIZE=100"); !r.is(250) {
		return failed("MAIL FROM:<> SIZE=100", []int{250}, r)
	}
	if limit <= 0 {
		return verdict{ok: true} // SIZE without a limit: nothing to exceed
	}
	c.cmd("RSET")
	line := "MAIL FROM:<> SIZE=" + strconv.FormatInt(limit+1, 10)
	if r := c.cmd(line); !r.is(552) {
		return failed(line, []int{552}, r)
	}
	return verdict{ok: true}
}

// enhanced checks that a 503 carries a 5.x.x status code.
func enhanced(c *Conn) verdict {
	c.ehlo()
	r := c.cmd("RCPT TO:<postmaster>")
	if !r.is(503) {
		return failed("RCPT TO:<postmaster>", []int{503}, r)
	}
	text := strings.TrimSpace(r.lines[len(r.lines)-1][min(4, len(r.lines[len(r.lines)-1])):])
	if code, _, _ := strings.Cut(text, " "); !strings.HasPrefix(code, "5.") || strings.Count(code, ".") != 2 {
		return verdict{want: i18n.T("a status code such as 5.5.1 after 503"), got: r.String()}
	}
	return verdict{ok: true}
}

// pipelining sends MAIL, RCPT and RSET in one write.
func pipelining(c *Conn) verdict {
	if _, v := c.greetForMail(); !v.ok {
		return v
	}
	rcpt := c.recipient("RCPT TO:<postmaster>")
	c.write("MAIL FROM:<>\r\n" + rcpt + "\r\nRSET\r\n")
	for _, line := range []string{"MAIL FROM:<>", rcpt, "RSET"} {
		if r := c.read(); !r.is(250, 251) {
			return failed(line, []int{250}, r)
		}
	}
	return verdict{ok: true}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// authPlain logs in with AUTH PLAIN, with the right password or a wrong one.
func authPlain(right bool) func(c *Conn) verdict {
	return func(c *Conn) verdict {
		c.ehlo()
		password, codes := c.opts.Password, []int{235}
		if !right {
			password, codes = c.opts.Password+"-wrong", []int{535, 454, 534}
		}
		return c.sayPlain(password, codes...)
	}
}

// sayPlain says AUTH PLAIN with the user and password, needing one of
// codes.
func (c *Conn) sayPlain(password string, codes ...int) verdict {
	if r := c.cmd("AUTH PLAIN " + b64("\x00"+c.opts.User+"\x00"+password)); !r.is(codes...) {
		return failed("AUTH PLAIN …", codes, r)
	}
	return verdict{ok: true}
}

// sayLogin says AUTH LOGIN, then the user and the password, needing 334,
// 334 and 235.
func (c *Conn) sayLogin() verdict {
	if v := c.steps(say("AUTH LOGIN", 334), say(b64(c.opts.User), 334)); !v.ok {
		return v
	}
	if r := c.cmd(b64(c.opts.Password)); !r.is(235) {
		return failed("(the password, in Base64)", []int{235}, r)
	}
	return verdict{ok: true}
}

func authTwice(c *Conn) verdict {
	if v := authPlain(true)(c); !v.ok {
		return v
	}
	if r := c.cmd("AUTH PLAIN"); !r.is(503) {
		return failed("AUTH PLAIN", []int{503}, r)
	}
	return verdict{ok: true}
}

func authLogin(c *Conn) verdict {
	c.ehlo()
	return c.sayLogin()
}

// starttlsRestart turns the session to TLS and checks it started over.
func starttlsRestart(c *Conn) verdict {
	c.ehlo()
	if r := c.cmd("STARTTLS"); !r.is(220) {
		return failed("STARTTLS", []int{220}, r)
	}
	if err := c.handshake(); err != nil {
		return verdict{want: i18n.T("a TLS handshake"), got: i18n.TranslateError(nil, err)}
	}
	r := c.ehlo()
	if !r.is(250) {
		return failed("EHLO", []int{250}, r)
	}
	for _, words := range r.extensions() {
		if words[0] == "STARTTLS" {
			return verdict{want: i18n.T("no STARTTLS offered once TLS is on"), got: r.String()}
		}
	}
	return verdict{ok: true}
}

// recipient turns the postmaster of a case that only needs a recipient
// into the one the server takes: a server that refuses the bare
// <postmaster> fails smtp.postmaster for it, and only that case (the
// others use postmaster@ its domain).
func (c *Conn) recipient(line string) string {
	if c.opts.rcpt == "" {
		return line
	}
	for _, bare := range []string{"postmaster", "Postmaster"} {
		if line == "RCPT TO:<"+bare+">" {
			return "RCPT TO:<" + bare + "@" + c.opts.rcpt + ">"
		}
	}
	return line
}

// logIn logs in with the user and password given, by PLAIN or else LOGIN,
// for a server that takes mail only after a login (RFC 4954 6: 530).
func (c *Conn) logIn() verdict {
	if c.offered["AUTH=PLAIN"] || !c.offered["AUTH=LOGIN"] {
		return c.sayPlain(c.opts.Password, 235)
	}
	return c.sayLogin()
}

// needLoginFirst skips a case that needs a transaction on a server that
// takes mail only after a login, when no user was given.
var needLoginFirst = verdict{skip: true, want: i18n.T("a login first (the server answered 530): give --user and --password")}

// greetForMail says EHLO and, where the server takes mail only after a
// login, logs in (or skips the case when no user was given).
func (c *Conn) greetForMail() (reply, verdict) {
	r := c.ehlo()
	return r, c.loginFirst()
}

// loginFirst logs in, once, where the server takes mail only after a
// login; without a user given, the case cannot run.
func (c *Conn) loginFirst() verdict {
	switch {
	case !c.opts.loginFirst || c.authed:
		return verdict{ok: true}
	case c.opts.User == "":
		return needLoginFirst
	}
	v := c.logIn()
	c.authed = v.ok
	return v
}
