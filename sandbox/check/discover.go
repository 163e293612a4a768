package check

import (
	"context"
	"strings"
	"time"

	"maillab/trace/i18n"
)

// What a case may need besides an extension, found before the cases run.
const (
	needLogin    = "login"    // a user and a password that work
	needMessages = "messages" // a message in the mailbox
	needTwo      = "two"      // two messages in the mailbox
	needOurs     = "ours"     // the messages --fill sent
)

// discover learns what the server offers: its EHLO keywords or CAPA
// tags, and for POP3 whether the login works and how many messages wait,
// on connections of its own. With opts.Fill, it first sends the POP3
// mailbox the messages some cases read.
func discover(ctx context.Context, opts Options) (map[string]bool, error) {
	c, err := dial(ctx, opts, nil)
	if err != nil {
		return nil, err
	}
	defer c.close()
	if opts.Proto == "pop3" {
		return c.discoverPOP3(ctx)
	}
	offered := map[string]bool{needLogin: opts.User != ""}
	r := c.ehlo()
	for _, words := range r.extensions() {
		offered[words[0]] = true
		if words[0] == "AUTH" {
			for _, mechanism := range words[1:] {
				offered["AUTH="+mechanism] = true // the mechanisms, for the cases that use one
			}
		}
	}
	return offered, nil
}

// discoverPOP3 asks CAPA, logs in, fills the mailbox when asked and
// counts what waits.
func (c *Conn) discoverPOP3(ctx context.Context) (map[string]bool, error) {
	offered := map[string]bool{}
	if r, b := c.pop("CAPA"); r.ok() && b.err == nil {
		offered["CAPA"] = true
		for _, line := range b.lines {
			tag, _, _ := strings.Cut(strings.ToUpper(line), " ")
			offered[tag] = true
		}
	}
	if c.opts.User == "" || !c.login().ok {
		return offered, nil
	}
	offered[needLogin] = true
	before, _, _, _ := c.stat()
	c.close()
	if c.opts.Fill != "" {
		if err := fill(ctx, c.opts); err != nil {
			return nil, err
		}
		offered[needOurs] = true
	}
	count := before
	if c.opts.Fill != "" {
		var err error
		if count, err = c.waitFor(ctx, before); err != nil {
			return nil, err
		}
	}
	offered[needMessages], offered[needTwo] = count >= 1, count >= 2
	if !offered["CAPA"] && count >= 1 {
		probe, err := dial(ctx, c.opts, offered)
		if err != nil {
			return nil, err
		}
		defer probe.close()
		probe.login()
		r, _ := probe.pop("UIDL")
		offered["UIDL"] = r.ok()
		r, _ = probe.pop("TOP 1 0")
		offered["TOP"] = r.ok()
	}
	return offered, nil
}

// waitFor counts the mailbox's messages in new sessions, after a fill
// until the two it sent have arrived (a server may store them a moment
// after its 250).
func (c *Conn) waitFor(ctx context.Context, before int) (int, error) {
	want := before
	if c.opts.Fill != "" {
		want += len(fillMessages)
	}
	deadline := time.Now().Add(c.opts.Timeout)
	for {
		s, err := dial(ctx, c.opts, nil)
		if err != nil {
			return 0, err
		}
		count := -1
		if s.login().ok {
			count, _, _, _ = s.stat()
		}
		s.close()
		if count >= want || time.Now().After(deadline) {
			if count < want {
				return count, i18n.Errorf("the mailbox of %s has %d messages %s after --fill sent %d", c.opts.User, count, c.opts.Timeout, len(fillMessages))
			}
			return count, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// probeTransaction starts a transaction on a connection of its own: it
// reports the domain to give postmaster when the server refuses the bare
// <postmaster> (RFC 5321 4.5.1 says it must take it; the other cases
// only need some recipient), and whether MAIL needs a login first (530,
// a submission server: RFC 4954 6). With a user given, it logs in to find
// out whether the bare postmaster is taken then.
func probeTransaction(ctx context.Context, opts Options, offered map[string]bool) (rcpt string, loginFirst bool) {
	c, err := dial(ctx, opts, offered)
	if err != nil {
		return "", false
	}
	defer c.close()
	c.ehlo()
	r := c.cmd("MAIL FROM:<>")
	if r.is(530) {
		loginFirst = true
		if opts.User == "" || !c.logIn().ok {
			return "", true
		}
		c.cmd("MAIL FROM:<>")
	}
	if r := c.cmd("RCPT TO:<postmaster>"); r.is(250, 251) {
		return "", loginFirst
	}
	c.cmd("RSET")
	return c.domain(), loginFirst
}
