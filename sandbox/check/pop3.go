package check

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"maillab/trace/i18n"
)

// pop3Cases are the POP3 cases, in the order they run. The cases that
// delete act on the messages --fill sent where there are some, and undo
// with RSET before QUIT, but for the last, which removes them.
var pop3Cases = []*Case{
	{ID: "pop3.greeting", Level: Required, RFC: "RFC 1939 4", What: i18n.N("the greeting is +OK"), run: popGreeting},
	{ID: "pop3.capa", Level: Required, RFC: "RFC 2449 5", What: i18n.N("CAPA is refused -ERR, or answered +OK and a list ended by a lone dot"), run: capa},
	{ID: "pop3.unknown-command", Level: Required, RFC: "RFC 1939 3", What: i18n.N("an unknown command is refused -ERR, and the session goes on"), run: popScript(refuse("FROB now"), accept("QUIT"))},
	{ID: "pop3.stat-before-login", Level: Required, RFC: "RFC 1939 4", What: i18n.N("STAT before the login is refused -ERR"), run: popScript(refuse("STAT"))},
	{ID: "pop3.retr-before-login", Level: Required, RFC: "RFC 1939 4", What: i18n.N("RETR before the login is refused -ERR"), run: popScript(refuse("RETR 1"))},
	{ID: "pop3.pass-before-user", Level: Required, RFC: "RFC 1939 7", What: i18n.N("PASS before USER is refused -ERR"), run: popScript(refuse("PASS secret"))},
	{ID: "pop3.unknown-user", Level: Required, RFC: "RFC 1939 7", What: i18n.N("a user who does not exist cannot log in: USER may answer either way, PASS answers -ERR"), run: unknownUser},
	{ID: "pop3.wrong-password", Level: Required, RFC: "RFC 1939 7", Needs: []string{needLogin}, What: i18n.N("a wrong password is refused -ERR, and STAT after it too (or the server closes)"), run: wrongPassword},
	{ID: "pop3.login", Level: Required, RFC: "RFC 1939 7", Needs: []string{needLogin}, What: i18n.N("USER and PASS with the right password are answered +OK"), run: loggedIn(func(c *Conn) verdict { return verdict{ok: true} })},
	{ID: "pop3.case", Level: Required, RFC: "RFC 1939 3", Needs: []string{needLogin}, What: i18n.N("commands are case-insensitive: user, pass and stat work too"), run: lowerCase},
	{ID: "pop3.stat", Level: Required, RFC: "RFC 1939 5", Needs: []string{needLogin}, What: i18n.N("STAT is answered +OK, the number of messages and their size in octets"), run: loggedIn(statForm)},
	{ID: "pop3.list", Level: Required, RFC: "RFC 1939 5", Needs: []string{needLogin}, What: i18n.N("LIST gives each message as number and size, ended by a lone dot, agreeing with STAT"), run: loggedIn(list)},
	{ID: "pop3.list-one", Level: Required, RFC: "RFC 1939 5", Needs: []string{needLogin, needMessages}, What: i18n.N("LIST 1 is answered +OK 1 and the size LIST gave"), run: loggedIn(listOne)},
	{ID: "pop3.list-none", Level: Required, RFC: "RFC 1939 5", Needs: []string{needLogin}, What: i18n.N("LIST of a message that does not exist is refused -ERR"), run: loggedIn(listNone)},
	{ID: "pop3.noop", Level: Required, RFC: "RFC 1939 5", Needs: []string{needLogin}, What: i18n.N("NOOP is answered +OK"), run: loggedIn(popScript(accept("NOOP")))},
	{ID: "pop3.retr", Level: Required, RFC: "RFC 1939 5", Needs: []string{needLogin, needMessages}, What: i18n.N("RETR 1 is +OK and the message, ended by a lone dot: headers, an empty line, the body"), run: loggedIn(retr)},
	{ID: "pop3.retr-size", Level: Strict, RFC: "RFC 1939 5, 11", Needs: []string{needLogin, needMessages}, What: i18n.N("the size LIST gives is the exact size RETR sends, counting CRLF line ends"), run: loggedIn(retrSize)},
	{ID: "pop3.byte-stuffing", Level: Required, RFC: "RFC 1939 3", Needs: []string{needLogin, needOurs}, What: i18n.N("RETR doubles a leading dot: a line of one dot inside a message does not end it"), run: loggedIn(byteStuffing)},
	{ID: "pop3.retr-none", Level: Required, RFC: "RFC 1939 5", Needs: []string{needLogin}, What: i18n.N("RETR of a message that does not exist is refused -ERR, and the session goes on"), run: loggedIn(retrNone)},
	{ID: "pop3.retr-no-number", Level: Required, RFC: "RFC 1939 5", Needs: []string{needLogin}, What: i18n.N("RETR without a message number, or with a word, is refused -ERR"), run: loggedIn(popScript(refuse("RETR"), refuse("RETR one"), accept("NOOP")))},
	{ID: "pop3.top", Level: Required, RFC: "RFC 1939 7", Needs: []string{needLogin, needMessages, "TOP"}, What: i18n.N("TOP 1 0 sends the headers and the empty line after them, ended by a lone dot"), run: loggedIn(top(0))},
	{ID: "pop3.top-lines", Level: Required, RFC: "RFC 1939 7", Needs: []string{needLogin, needMessages, "TOP"}, What: i18n.N("TOP 1 1 sends the headers, the empty line and the body's first line"), run: loggedIn(top(1))},
	{ID: "pop3.uidl", Level: Required, RFC: "RFC 1939 7", Needs: []string{needLogin, "UIDL"}, What: i18n.N("UIDL gives each message's unique id: 1 to 70 printable characters, no two alike"), run: loggedIn(uidlList)},
	{ID: "pop3.uidl-one", Level: Required, RFC: "RFC 1939 7", Needs: []string{needLogin, needMessages, "UIDL"}, What: i18n.N("UIDL 1 gives the id the list gives message 1"), run: loggedIn(uidlOne)},
	{ID: "pop3.uidl-persist", Level: Required, RFC: "RFC 1939 7", Needs: []string{needLogin, needMessages, "UIDL"}, What: i18n.N("a message keeps its unique id in the next session"), run: uidlPersist},
	{ID: "pop3.dele", Level: Required, RFC: "RFC 1939 5", Needs: []string{needLogin, needMessages}, What: i18n.N("DELE is +OK; after it, RETR and LIST of that message are refused and STAT counts one fewer"), run: loggedIn(dele)},
	{ID: "pop3.dele-twice", Level: Required, RFC: "RFC 1939 5", Needs: []string{needLogin, needMessages}, What: i18n.N("a message marked deleted cannot be deleted again: -ERR"), run: loggedIn(deleTwice)},
	{ID: "pop3.numbers-stay", Level: Required, RFC: "RFC 1939 5", Needs: []string{needLogin, needTwo}, What: i18n.N("after DELE, the other messages keep their numbers until QUIT"), run: loggedIn(numbersStay)},
	{ID: "pop3.rset", Level: Required, RFC: "RFC 1939 5", Needs: []string{needLogin, needMessages}, What: i18n.N("RSET undoes DELE: the message is back and STAT as before"), run: loggedIn(rset)},
	{ID: "pop3.no-quit-no-update", Level: Required, RFC: "RFC 1939 6", Needs: []string{needLogin, needOurs}, What: i18n.N("a session that ends without QUIT deletes nothing"), run: noQuitNoUpdate},
	{ID: "pop3.user-after-login", Level: Strict, RFC: "RFC 1939 4, 7", Needs: []string{needLogin}, What: i18n.N("USER after the login is refused -ERR"), run: loggedIn(popScript(refuse("USER " + "someone")))},
	{ID: "pop3.long-line", Level: Required, RFC: "RFC 2449 4", What: i18n.N("a line of 2,000 octets is answered +OK or -ERR (the server may then close), and the next client is greeted"), run: popLongLine},
	{ID: "pop3.stls", Level: Required, RFC: "RFC 2595 4", Needs: []string{"STLS"}, What: i18n.N("STLS is +OK and a TLS handshake, after which the server answers inside TLS"), run: stls},
	{ID: "pop3.quit-authorization", Level: Required, RFC: "RFC 1939 4", What: i18n.N("QUIT before the login is +OK, then the server closes the connection"), run: popQuit},
	{ID: "pop3.quit", Level: Required, RFC: "RFC 1939 6", Needs: []string{needLogin}, What: i18n.N("QUIT after the login is +OK, then the server closes the connection"), run: loggedIn(popQuit)},
	{ID: "pop3.quit-deletes", Level: Required, RFC: "RFC 1939 6", Needs: []string{needLogin, needOurs}, What: i18n.N("DELE then QUIT removes the messages: the next session has them no more (those --fill sent)"), run: quitDeletes},
}

// popStep is a POP3 command and the status it needs.
type popStep struct {
	line string
	ok   bool
}

func accept(line string) popStep { return popStep{line, true} }
func refuse(line string) popStep { return popStep{line, false} }

// popScript says each line and checks its status, up to the first wrong.
func popScript(steps ...popStep) func(c *Conn) verdict {
	return func(c *Conn) verdict {
		for _, st := range steps {
			r := c.cmd(st.line)
			if st.line == "QUIT" {
				c.closed = true
			}
			if st.ok && !r.ok() {
				return failedPOP(st.line, "+OK", r)
			}
			if !st.ok && !r.refused() {
				return failedPOP(st.line, "-ERR", r)
			}
		}
		return verdict{ok: true}
	}
}

// loggedIn logs in, then runs the case.
func loggedIn(run func(c *Conn) verdict) func(c *Conn) verdict {
	return func(c *Conn) verdict {
		if v := c.login(); !v.ok {
			return v
		}
		return run(c)
	}
}

func popGreeting(c *Conn) verdict {
	if !c.greeting.ok() {
		return verdict{want: i18n.T("a greeting that starts +OK"), got: c.greeting.String()}
	}
	return verdict{ok: true}
}

func capa(c *Conn) verdict {
	r, b := c.pop("CAPA")
	switch {
	case r.refused():
		return verdict{ok: true}
	case !r.ok():
		return failedPOP("CAPA", "+OK or -ERR", r)
	case b.err != nil:
		return verdict{want: i18n.T("the capabilities, ended by a lone dot"), got: i18n.TranslateError(nil, b.err)}
	}
	return verdict{ok: true}
}

func unknownUser(c *Conn) verdict {
	c.cmd("USER maillab-check-nobody")
	if r := c.cmd("PASS wrong"); !r.refused() {
		return failedPOP("PASS wrong", "-ERR", r)
	}
	return verdict{ok: true}
}

func wrongPassword(c *Conn) verdict {
	c.cmd("USER " + c.opts.User)
	if r := c.cmd("PASS " + c.opts.Password + "-wrong"); !r.refused() {
		return failedPOP("PASS (a wrong password)", "-ERR", r)
	}
	if r := c.cmd("STAT"); !r.refused() && r.err == nil { // the server may close after an -ERR (RFC 1939 4)
		return failedPOP("STAT", "-ERR", r)
	}
	return verdict{ok: true}
}

func lowerCase(c *Conn) verdict {
	if r := c.cmd("user " + c.opts.User); !r.ok() {
		return failedPOP("user "+c.opts.User, "+OK", r)
	}
	if r := c.cmd("pass " + c.opts.Password); !r.ok() {
		return failedPOP("pass …", "+OK", r)
	}
	if r := c.cmd("stat"); !r.ok() {
		return failedPOP("stat", "+OK", r)
	}
	return verdict{ok: true}
}

func statForm(c *Conn) verdict {
	if _, _, r, ok := c.stat(); !ok {
		return verdict{want: i18n.T("+OK, a space, the number of messages, a space, their size in octets"), got: r.String()}
	}
	return verdict{ok: true}
}

// scan is a LIST or UIDL line: a message number and what follows it.
type scan struct {
	n    int
	rest string
}

// scanList says LIST or UIDL and reads its lines.
func (c *Conn) scanList(verb string) ([]scan, verdict) {
	r, b := c.pop(verb)
	if !r.ok() {
		return nil, failedPOP(verb, "+OK", r)
	}
	if b.err != nil {
		return nil, verdict{want: i18n.T("the list, ended by a lone dot"), got: i18n.TranslateError(nil, b.err)}
	}
	var out []scan
	for _, line := range b.lines {
		fields := strings.Fields(line) // what follows the first word may be anything (RFC 1939 5)
		if len(fields) < 2 {
			return nil, verdict{want: i18n.T("lines of a message number, a space and one word"), got: line}
		}
		n, err := strconv.Atoi(fields[0])
		if err != nil || n < 1 {
			return nil, verdict{want: i18n.T("lines of a message number, a space and one word"), got: line}
		}
		out = append(out, scan{n, fields[1]})
	}
	return out, verdict{ok: true}
}

func list(c *Conn) verdict {
	count, size, r, ok := c.stat()
	if !ok {
		return failedPOP("STAT", "+OK nn mm", r)
	}
	lines, v := c.scanList("LIST")
	if !v.ok {
		return v
	}
	var total int64
	for _, l := range lines {
		s, err := strconv.ParseInt(l.rest, 10, 64)
		if err != nil {
			return verdict{want: i18n.T("a size in octets after each message number"), got: strconv.Itoa(l.n) + " " + l.rest}
		}
		total += s
	}
	if len(lines) != count || total != size {
		return verdict{want: i18n.T("LIST agreeing with STAT: %d messages, %d octets", count, size), got: i18n.T("%d messages, %d octets", len(lines), total).In(nil)}
	}
	return verdict{ok: true}
}

// sizes says LIST and returns each message's size by number.
func (c *Conn) sizes() (map[int]string, verdict) { return c.byNumber("LIST") }

// byNumber says LIST or UIDL and returns each line's rest by message number.
func (c *Conn) byNumber(verb string) (map[int]string, verdict) {
	lines, v := c.scanList(verb)
	out := map[int]string{}
	for _, l := range lines {
		out[l.n] = l.rest
	}
	return out, v
}

func listOne(c *Conn) verdict {
	sizes, v := c.sizes()
	if !v.ok {
		return v
	}
	want := "+OK 1 " + sizes[1]
	if r := c.cmd("LIST 1"); !r.ok() || !strings.HasPrefix(r.lines[0]+" ", want+" ") {
		return verdict{want: i18n.T("%q to %q", want, "LIST 1"), got: r.String()}
	}
	return verdict{ok: true}
}

func listNone(c *Conn) verdict {
	count, _, _, _ := c.stat()
	line := "LIST " + strconv.Itoa(count+1)
	if r := c.cmd(line); !r.refused() {
		return failedPOP(line, "-ERR", r)
	}
	return verdict{ok: true}
}

// message says RETR (or TOP) and reads the message.
func (c *Conn) message(line string) ([]string, int, verdict) {
	r, b := c.pop(line)
	if !r.ok() {
		return nil, 0, failedPOP(line, "+OK", r)
	}
	if b.err != nil {
		return nil, 0, verdict{want: i18n.T("the message, ended by a lone dot"), got: i18n.TranslateError(nil, b.err)}
	}
	return b.lines, b.size, verdict{ok: true}
}

// headerEnd is the index of the empty line after the headers, or -1.
func headerEnd(lines []string) int {
	for i, l := range lines {
		if l == "" {
			return i
		}
	}
	return -1
}

func retr(c *Conn) verdict {
	lines, _, v := c.message("RETR 1")
	if !v.ok {
		return v
	}
	if end := headerEnd(lines); end < 1 || !strings.Contains(lines[0], ":") {
		return verdict{want: i18n.T("a message: header fields, then an empty line"), got: strings.Join(lines[:min(len(lines), 3)], " / ")}
	}
	if r := c.cmd("NOOP"); !r.ok() {
		return failedPOP("NOOP", "+OK", r)
	}
	return verdict{ok: true}
}

func retrSize(c *Conn) verdict {
	sizes, v := c.sizes()
	if !v.ok {
		return v
	}
	_, size, v := c.message("RETR 1")
	if !v.ok {
		return v
	}
	if strconv.Itoa(size) != sizes[1] {
		return verdict{want: i18n.T("RETR 1 sending the %s octets LIST gives", sizes[1]), got: i18n.T("%d octets", size).In(nil)}
	}
	return verdict{ok: true}
}

// ours finds the messages --fill sent by their Message-ID, by number,
// needing them all.
func (c *Conn) ours() ([]int, verdict) {
	found, v := c.findOurs()
	if v.ok && len(found) < len(fillMessages) {
		return nil, verdict{want: i18n.T("the %d messages --fill sent in the mailbox", len(fillMessages)), got: i18n.T("%d of them", len(found)).In(nil)}
	}
	return found, v
}

// findOurs finds the messages --fill sent among the last 50.
func (c *Conn) findOurs() ([]int, verdict) {
	count, _, r, ok := c.stat()
	if !ok {
		return nil, failedPOP("STAT", "+OK nn mm", r)
	}
	var found []int
	for n := count; n >= 1 && n > count-50 && len(found) < len(fillMessages); n-- {
		lines, _, v := c.message("RETR " + strconv.Itoa(n))
		if !v.ok {
			return nil, v
		}
		if end := headerEnd(lines); end > 0 && strings.Contains(strings.Join(lines[:end], "\n"), c.opts.token) {
			found = append([]int{n}, found...)
		}
	}
	return found, verdict{ok: true}
}

func byteStuffing(c *Conn) verdict {
	nums, v := c.ours()
	if !v.ok {
		return v
	}
	line := "RETR " + strconv.Itoa(nums[1])
	lines, _, v := c.message(line)
	if !v.ok {
		return v
	}
	want := []string{"A line of one dot follows.", ".", ".a line that starts with a dot", "..and one with two", "The last line."}
	end := headerEnd(lines)
	if end < 0 || strings.Join(lines[end+1:], "\n") != strings.Join(want, "\n") {
		return verdict{want: i18n.T("the body as sent: %s", strings.Join(want, " / ")), got: strings.Join(lines[max(end+1, 0):], " / ")}
	}
	if r := c.cmd("NOOP"); !r.ok() {
		return failedPOP("NOOP", "+OK", r)
	}
	return verdict{ok: true}
}

func retrNone(c *Conn) verdict {
	count, _, _, _ := c.stat()
	line := "RETR " + strconv.Itoa(count+1)
	if r := c.cmd(line); !r.refused() {
		return failedPOP(line, "-ERR", r)
	}
	if r := c.cmd("NOOP"); !r.ok() {
		return failedPOP("NOOP", "+OK", r)
	}
	return verdict{ok: true}
}

// top checks TOP 1 n against RETR 1.
func top(n int) func(c *Conn) verdict {
	return func(c *Conn) verdict {
		full, _, v := c.message("RETR 1")
		if !v.ok {
			return v
		}
		line := "TOP 1 " + strconv.Itoa(n)
		lines, _, v := c.message(line)
		if !v.ok {
			return v
		}
		end := headerEnd(full)
		want := full[:min(len(full), end+1+n)]
		if end < 0 || strings.Join(lines, "\n") != strings.Join(want, "\n") {
			return verdict{want: i18n.T("the headers, the empty line and %d lines of the body, as RETR sends them", n), got: i18n.T("%d lines, not the %d expected", len(lines), len(want)).In(nil)}
		}
		return verdict{ok: true}
	}
}

// printableID reports whether a unique id is 1 to 70 characters from
// 0x21 to 0x7E (RFC 1939 7).
func printableID(id string) bool {
	if len(id) < 1 || len(id) > 70 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

func uidlList(c *Conn) verdict {
	count, _, _, _ := c.stat()
	lines, v := c.scanList("UIDL")
	if !v.ok {
		return v
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if !printableID(l.rest) || seen[l.rest] {
			return verdict{want: i18n.T("unique ids of 1 to 70 printable characters, no two alike"), got: strconv.Itoa(l.n) + " " + l.rest}
		}
		seen[l.rest] = true
	}
	if len(lines) != count {
		return verdict{want: i18n.T("an id for each of the %d messages STAT counts", count), got: i18n.T("%d ids", len(lines)).In(nil)}
	}
	return verdict{ok: true}
}

// ids says UIDL and returns each message's id by number.
func (c *Conn) ids() (map[int]string, verdict) { return c.byNumber("UIDL") }

func uidlOne(c *Conn) verdict {
	ids, v := c.ids()
	if !v.ok {
		return v
	}
	want := "+OK 1 " + ids[1]
	if r := c.cmd("UIDL 1"); !r.ok() || r.lines[0] != want {
		return verdict{want: i18n.T("%q to %q", want, "UIDL 1"), got: r.String()}
	}
	return verdict{ok: true}
}

func uidlPersist(c *Conn) verdict {
	if v := c.login(); !v.ok {
		return v
	}
	before, v := c.ids()
	if !v.ok {
		return v
	}
	c.cmd("QUIT")
	c.closed = true
	next, v := c.loggedInAgain()
	if !v.ok {
		return v
	}
	defer next.close()
	after, v := next.ids()
	if !v.ok {
		return v
	}
	if after[1] != before[1] {
		return verdict{want: i18n.T("message 1's id %q again", before[1]), got: after[1]}
	}
	return verdict{ok: true}
}

// target is the message the deleting cases mark: the first --fill sent
// where there is one, else message 1.
func (c *Conn) target() (int, verdict) {
	if !c.offered[needOurs] {
		return 1, verdict{ok: true}
	}
	nums, v := c.ours()
	if !v.ok {
		return 0, v
	}
	return nums[0], v
}

// undelete ends a case that marked messages: RSET, so QUIT deletes nothing.
func (c *Conn) undelete() { c.cmd("RSET") }

func dele(c *Conn) verdict {
	n, v := c.target()
	if !v.ok {
		return v
	}
	defer c.undelete()
	count, _, _, _ := c.stat()
	num := strconv.Itoa(n)
	if r := c.cmd("DELE " + num); !r.ok() {
		return failedPOP("DELE "+num, "+OK", r)
	}
	for _, line := range []string{"RETR " + num, "LIST " + num} {
		if r := c.cmd(line); !r.refused() {
			return failedPOP(line, "-ERR", r)
		}
	}
	if after, _, r, ok := c.stat(); !ok || after != count-1 {
		return verdict{want: i18n.T("STAT counting %d messages after DELE", count-1), got: r.String()}
	}
	return verdict{ok: true}
}

func deleTwice(c *Conn) verdict {
	n, v := c.target()
	if !v.ok {
		return v
	}
	defer c.undelete()
	line := "DELE " + strconv.Itoa(n)
	c.cmd(line)
	if r := c.cmd(line); !r.refused() {
		return failedPOP(line+" (again)", "-ERR", r)
	}
	return verdict{ok: true}
}

func numbersStay(c *Conn) verdict {
	n, v := c.target()
	if !v.ok {
		return v
	}
	sizes, v := c.sizes()
	if !v.ok {
		return v
	}
	other := n + 1
	if sizes[other] == "" {
		other = n - 1
	}
	defer c.undelete()
	c.cmd("DELE " + strconv.Itoa(n))
	line := "LIST " + strconv.Itoa(other)
	want := "+OK " + strconv.Itoa(other) + " " + sizes[other]
	if r := c.cmd(line); !r.ok() || !strings.HasPrefix(r.lines[0]+" ", want+" ") {
		return verdict{want: i18n.T("%q to %q after DELE %d", want, line, n), got: r.String()}
	}
	after, v := c.sizes()
	if !v.ok {
		return v
	}
	if after[n] != "" || after[other] != sizes[other] {
		return verdict{want: i18n.T("LIST after DELE %d without message %d, and message %d as before", n, n, other), got: fmt.Sprint(after)}
	}
	return verdict{ok: true}
}

func rset(c *Conn) verdict {
	n, v := c.target()
	if !v.ok {
		return v
	}
	count, size, _, _ := c.stat()
	num := strconv.Itoa(n)
	c.cmd("DELE " + num)
	if r := c.cmd("RSET"); !r.ok() {
		return failedPOP("RSET", "+OK", r)
	}
	if after, afterSize, r, ok := c.stat(); !ok || after != count || afterSize != size {
		return verdict{want: i18n.T("STAT as before DELE: +OK %d %d", count, size), got: r.String()}
	}
	if _, _, v := c.message("RETR " + num); !v.ok {
		return v
	}
	return verdict{ok: true}
}

func noQuitNoUpdate(c *Conn) verdict {
	if v := c.login(); !v.ok {
		return v
	}
	n, v := c.target()
	if !v.ok {
		return v
	}
	count, _, _, _ := c.stat()
	c.cmd("DELE " + strconv.Itoa(n))
	c.closed = true // the connection drops without QUIT
	c.tap.Close()
	next, v := c.loggedInAgain()
	if !v.ok {
		return v
	}
	defer next.close()
	if after, _, r, ok := next.stat(); !ok || after != count {
		return verdict{want: i18n.T("STAT counting the %d messages of before", count), got: r.String()}
	}
	return verdict{ok: true}
}

// popLongLine sends a command line far over RFC 2449's 255 octets. The
// server must answer it; it may then go on or close the connection (as
// Dovecot does), but it must still greet the next client.
func popLongLine(c *Conn) verdict {
	line := "NOOP " + strings.Repeat("x", 2000)
	if r := c.cmd(line); r.status() == "" {
		return failedPOP(line, "+OK or -ERR", r)
	}
	if r := c.cmd("QUIT"); !r.ok() && r.err == nil {
		return failedPOP("QUIT", "+OK", r)
	}
	c.closed = true
	next, err := c.again()
	if err != nil {
		return verdict{want: i18n.T("the server greets the next client"), got: i18n.TranslateError(nil, err)}
	}
	next.close()
	return verdict{ok: true}
}

// stls turns the session to TLS, after which the server must go on
// answering (RFC 2595 4 lets it offer other capabilities, or refuse a
// second STLS).
func stls(c *Conn) verdict {
	if r := c.cmd("STLS"); !r.ok() {
		return failedPOP("STLS", "+OK", r)
	}
	if err := c.handshake(); err != nil {
		return verdict{want: i18n.T("a TLS handshake"), got: i18n.TranslateError(nil, err)}
	}
	if r, _ := c.pop("CAPA"); r.status() == "" {
		return failedPOP("CAPA", "+OK or -ERR", r)
	}
	return verdict{ok: true}
}

func popQuit(c *Conn) verdict {
	return c.quitCloses(func(r reply) bool { return r.ok() }, "+OK")
}

func quitDeletes(c *Conn) verdict {
	if v := c.login(); !v.ok {
		return v
	}
	nums, v := c.ours()
	if !v.ok {
		return v
	}
	for _, n := range nums {
		if r := c.cmd("DELE " + strconv.Itoa(n)); !r.ok() {
			return failedPOP("DELE "+strconv.Itoa(n), "+OK", r)
		}
	}
	if r := c.cmd("QUIT"); !r.ok() {
		return failedPOP("QUIT", "+OK", r)
	}
	c.closed = true
	time.Sleep(100 * time.Millisecond)
	next, v := c.loggedInAgain()
	if !v.ok {
		return v
	}
	defer next.close()
	left, v := next.findOurs()
	if !v.ok {
		return v
	}
	if len(left) > 0 {
		return verdict{want: i18n.T("none of the messages deleted before QUIT"), got: i18n.T("%d of them still there", len(left)).In(nil)}
	}
	return verdict{ok: true}
}

// loggedInAgain opens a second session to the server and logs in (the
// caller closes it): to see what the first one left behind.
func (c *Conn) loggedInAgain() (*Conn, verdict) {
	next, err := c.again()
	if err != nil {
		return nil, verdict{want: i18n.T("a second session"), got: i18n.TranslateError(nil, err)}
	}
	if v := next.login(); !v.ok {
		next.close()
		return nil, v
	}
	return next, verdict{ok: true}
}
