package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	mailclient "maillab/sandbox/client"
	"maillab/trace"
	"maillab/trace/i18n"
)

// envelope is a message waiting in a provider's relay queue for the
// recipients of one other domain.
type envelope struct {
	ID       string    // the queue id given in the 250 reply
	Journey  string    // the message's journey (its first provider's queue id)
	BounceOf string    // a bounce: the journey it reports on
	From     string    // reverse-path; "" for a bounce
	To       []Address // all in one domain
	Data     []byte    // the message, CRLF line ends, stamped
	Received time.Time // when this provider accepted it
	Attempts int
	NextTry  time.Time
	LastErr  string // why the last attempt failed
	lastErr  error  // the same, as data (not kept across a restart)
}

// relayQueue holds a provider's outgoing mail and delivers it, retrying
// temporary failures every RetryInterval until MaxQueueAge.
type relayQueue struct {
	sb       *Sandbox
	p        *Provider
	spool    *spool // nil: the queue lives in memory only
	mu       sync.Mutex
	held     []*envelope // waiting for their next try
	inFlight int         // being tried right now
	wake     chan struct{}
	busy     sync.WaitGroup
}

func newRelayQueue(sb *Sandbox, p *Provider) *relayQueue {
	return &relayQueue{sb: sb, p: p, wake: make(chan struct{}, 1)}
}

// add queues e and wakes the worker.
func (q *relayQueue) add(e *envelope) {
	q.mu.Lock()
	q.held = append(q.held, e)
	q.mu.Unlock()
	q.poke()
}

// poke wakes the worker, unless a wake-up is already pending.
func (q *relayQueue) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Len returns how many envelopes are queued, waiting or being tried.
func (q *relayQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.held) + q.inFlight
}

// run delivers queued mail until done is closed.
func (q *relayQueue) run(done <-chan struct{}) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := q.startDue()
		wait := time.Hour
		if !next.IsZero() {
			wait = max(time.Until(next), time.Millisecond)
		}
		timer.Reset(wait)
		select {
		case <-done:
			q.busy.Wait()
			return
		case <-q.wake:
		case <-timer.C:
		}
	}
}

// startDue starts an attempt for every envelope whose time has come and
// returns when the next one is due.
func (q *relayQueue) startDue() time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	var next time.Time
	kept := q.held[:0]
	for _, e := range q.held {
		if e.NextTry.After(now) {
			kept = append(kept, e)
			if next.IsZero() || e.NextTry.Before(next) {
				next = e.NextTry
			}
			continue
		}
		q.busy.Add(1)
		q.inFlight++
		go q.attempt(e)
	}
	clear(q.held[len(kept):])
	q.held = kept
	return next
}

// attempt tries to deliver e once and decides what happens next: done,
// bounced, or back in the queue for another try.
func (q *relayQueue) attempt(e *envelope) {
	defer q.busy.Done()
	e.Attempts++
	recorded := false
	record := func(results map[Address]rcptResult) {
		_, _, retry := classify(e.To, results)
		q.record(e, retry, len(retry) > 0 && time.Since(e.Received) >= q.sb.cfg.MaxQueueAge)
		recorded = true
	}
	// The spool learns the outcome the moment the next hop answers the
	// message, before QUIT: a crash after its 250 never delivers twice.
	results, err := q.sb.relayOnce(q.p, e, record)
	delivered, failed, retry := classify(e.To, results)
	switch {
	case err != nil:
		e.LastErr, e.lastErr = err.Error(), err
	case len(retry) > 0: // the next hop said "not now" to some recipients: their replies are why
		e.LastErr, e.lastErr = retryReasons(retry, results), nil
	}
	expired := len(retry) > 0 && time.Since(e.Received) >= q.sb.cfg.MaxQueueAge
	if !recorded {
		q.record(e, retry, expired)
	}
	whole := e.To
	if len(retry) > 0 && !expired {
		waiting := *e
		waiting.To, waiting.NextTry = retry, time.Now().Add(q.sb.cfg.RetryInterval)
		q.settle(&waiting)
	} else {
		q.settle(nil)
	}
	if delivered > 0 {
		q.sb.emit(trace.Event{From: q.p.SMTPHost(), To: whole[0].Domain, Action: trace.Relayed, Message: e.Journey, BounceOf: e.BounceOf,
			Facts: &trace.Facts{QueueID: e.ID, Domain: whole[0].Domain, Count: delivered, Total: len(whole)}})
	}
	if len(failed) > 0 {
		q.sb.bounce(q.p, e, failed)
	}
	switch {
	case expired:
		e.To = retry
		q.sb.bounce(q.p, e, expiredFailures(e))
	case len(retry) > 0:
		q.sb.emit(trace.Event{From: q.p.SMTPHost(), To: whole[0].Domain, Action: trace.Deferred, Message: e.Journey, BounceOf: e.BounceOf,
			Facts: &trace.Facts{QueueID: e.ID, Domain: whole[0].Domain, Attempt: e.Attempts, Reason: e.LastErr, Why: e.lastErr, Wait: q.sb.cfg.RetryInterval}})
	}
}

// classify sorts recipients by the next hop's answer: accepted (2xx),
// refused for good (5xx), or to try again (4xx or no answer).
func classify(to []Address, results map[Address]rcptResult) (delivered int, failed []failure, retry []Address) {
	for _, r := range to {
		res, ok := results[r]
		switch {
		case ok && res.code/100 == 2:
			delivered++
		case ok && res.code/100 == 5:
			failed = append(failed, failure{rcpt: r, reply: res})
		default:
			retry = append(retry, r)
		}
	}
	return delivered, failed, retry
}

// retryReasons is why recipients are retried: the replies that deferred
// them, as the next hop gave them.
func retryReasons(retry []Address, results map[Address]rcptResult) string {
	var reasons []string
	for _, r := range retry {
		if res, ok := results[r]; ok && res.text != "" && !slices.Contains(reasons, res.text) {
			reasons = append(reasons, res.text)
		}
	}
	if len(reasons) == 0 {
		return "no answer for " + retry[0].String()
	}
	return strings.Join(reasons, "; ")
}

// settle ends an attempt: it is no longer in flight, and next (if any)
// waits for its next try. Both change together, so Len never misses it.
func (q *relayQueue) settle(next *envelope) {
	q.mu.Lock()
	q.inFlight--
	if next != nil {
		q.held = append(q.held, next)
	}
	q.mu.Unlock()
	q.poke()
}

// record updates the spool after an attempt: gone when nobody is left to
// try, rewritten with the recipients still waiting otherwise.
func (q *relayQueue) record(e *envelope, retry []Address, expired bool) {
	if q.spool == nil {
		return
	}
	var err error
	if len(retry) == 0 || expired {
		err = q.spool.remove(e)
	} else {
		waiting := *e
		waiting.To = retry
		err = q.spool.save(&waiting, false)
	}
	if err != nil {
		q.sb.emit(trace.Event{From: q.p.SMTPHost(), Action: trace.QueueError, Message: e.Journey,
			Facts: &trace.Facts{QueueID: e.ID, Reason: err.Error(), Why: err}})
	}
}

// rcptResult is what the next hop answered for one recipient.
type rcptResult struct {
	code int
	text string // the whole reply, e.g. "550 5.1.1 <x@sina.com>: no such user here"
}

// failure is one recipient that cannot be delivered, and why.
type failure struct {
	rcpt  Address
	reply rcptResult
}

// expiredFailures turns every still-waiting recipient into a failure.
func expiredFailures(e *envelope) []failure {
	f := make([]failure, len(e.To))
	for i, r := range e.To {
		f[i] = failure{rcpt: r, reply: rcptResult{code: 0, text: "gave up after " + e.Received.Format(time.RFC1123Z) + ": " + e.LastErr}}
	}
	return f
}

// relayOnce looks up the next hop for e's domain and hands e over in an
// SMTP conversation of its own: EHLO, STARTTLS when the peer offers it
// (opportunistic, as between real mail servers: a certificate that does
// not verify is reported, not refused), MAIL FROM, RCPT TO, DATA. It
// returns the answer for each recipient it got one for, and calls
// answered with them as soon as the peer has answered the message, before
// QUIT.
func (sb *Sandbox) relayOnce(from *Provider, e *envelope, answered func(map[Address]rcptResult)) (map[Address]rcptResult, error) {
	domain := e.To[0].Domain
	peer, addr, ok := sb.route(domain)
	if !ok {
		return nil, i18n.Errorf("no route to %s", domain)
	}
	sb.emit(trace.Event{From: from.SMTPHost(), To: peer.SMTPHost(), Action: trace.MXLookup, Message: e.Journey, BounceOf: e.BounceOf,
		Facts: &trace.Facts{QueueID: e.ID, Domain: domain, Peer: peer.SMTPHost(), Addr: addr}})
	cfg := mailclient.Config{Proto: "smtp", Addr: addr, Client: from.SMTPHost(), Server: peer.SMTPHost(),
		Session: "relay " + e.ID, Hop: trace.Relay, Timeout: relayWait, Message: e.Journey}
	if sb.cfg.TapRelay && sb.Events.Active() {
		cfg.Sink = sb.Events.Publish
	}
	if sb.certs != nil {
		tc, err := sb.certs.RelayConfig(from.SMTPHost(), peer.SMTPHost())
		if err != nil {
			return nil, i18n.Errorf("the relay's certificate: %w", err)
		}
		cfg.TLS = &mailclient.TLS{Config: tc, Opportunistic: true}
	}
	c, _, err := mailclient.Dial(sb.ctx, cfg)
	if err != nil {
		return nil, i18n.Errorf("connect to %s (%s): %w", peer.SMTPHost(), addr, err)
	}
	stop := context.AfterFunc(sb.ctx, c.Abort) // shutdown never waits for a stalled peer
	defer stop()
	defer c.Close()
	defer sb.relays.add(c.LocalAddr())() // the peer, if it is this process's, knows its own relay
	results, err := sb.sendEnvelope(c, from, peer, e)
	if err == nil || results != nil {
		answered(results)
	}
	if err == nil {
		c.SetTimeout(quitWait)
		c.Send("QUIT") // the message is delivered; a peer slow to say goodbye changes nothing
	}
	return results, err
}

// relayWait bounds each answer of the next hop; quitWait, its answer to QUIT.
const (
	relayWait = 5 * time.Minute
	quitWait  = 5 * time.Second
)

// sendEnvelope runs one SMTP transaction for e on a connected mailclient.
func (sb *Sandbox) sendEnvelope(c *mailclient.Session, from, peer *Provider, e *envelope) (map[Address]rcptResult, error) {
	hello, err := expect(c, "EHLO "+from.SMTPHost(), "250")
	if err != nil {
		return nil, i18n.Errorf("EHLO: %w", err)
	}
	if _, offered := mailclient.Extensions(hello)["STARTTLS"]; offered && sb.certs != nil {
		if _, err := expect(c, "STARTTLS", "220"); err != nil {
			return nil, i18n.Errorf("STARTTLS: %w", err)
		}
		if !c.Tapped() && !sb.tapping(trace.SMTP) { // else a tap has shown the handshake already
			sb.emit(trace.Event{Proto: trace.SMTP, Hop: trace.Relay, From: from.SMTPHost(), To: peer.SMTPHost(), Action: trace.TLSStarted,
				Message: e.Journey, Facts: trace.TLSFacts(c.TLSState, nil, c.VerifyErr)})
		}
		if hello, err = expect(c, "EHLO "+from.SMTPHost(), "250"); err != nil {
			return nil, i18n.Errorf("EHLO after STARTTLS: %w", err)
		}
	}
	if _, offered := mailclient.Extensions(hello)["XFORWARD"]; offered {
		if _, err := expect(c, "XFORWARD IDENT="+e.Journey, "250"); err != nil {
			return nil, i18n.Errorf("XFORWARD: %w", err)
		}
	}
	mail := fmt.Sprintf("MAIL FROM:<%s>%s SIZE=%d", e.From, bodyParam(e.Data), len(e.Data))
	if _, err := expect(c, mail, "250"); err != nil {
		return allFailed(e.To, err), i18n.Errorf("MAIL FROM: %w", err)
	}
	results := make(map[Address]rcptResult, len(e.To))
	var accepted []Address
	for _, r := range e.To {
		if _, err := expect(c, "RCPT TO:<"+r.String()+">", "250"); err != nil {
			results[r] = resultOf(err)
			continue
		}
		accepted = append(accepted, r)
	}
	if len(accepted) == 0 {
		return results, nil
	}
	res, err := writeData(c, e.Data)
	for _, r := range accepted {
		results[r] = res
	}
	return results, err
}

// refusal is an answer other than the one hoped for.
type peerRefusal struct{ line string }

func (r *peerRefusal) Error() string { return r.line }

// expect sends a line and returns its answer, or an error: a refusal
// (carrying the reply) or a failure of the connection.
func expect(c *mailclient.Session, line, code string) ([]string, error) {
	answer, err := c.Send(line)
	if err != nil {
		return nil, err
	}
	if last := answer[len(answer)-1]; !strings.HasPrefix(last, code) {
		return answer, &peerRefusal{last}
	}
	return answer, nil
}

// writeData sends DATA, the message and the final "."; it returns the
// server's answer to the whole message.
func writeData(c *mailclient.Session, data []byte) (rcptResult, error) {
	if _, err := expect(c, "DATA", "354"); err != nil {
		return resultOf(err), i18n.Errorf("DATA: %w", err)
	}
	answer, err := c.SendMessage(data)
	if err != nil {
		return rcptResult{}, i18n.Errorf("sending the message: %w", err)
	}
	last := answer[len(answer)-1]
	if !strings.HasPrefix(last, "250") {
		return resultOf(&peerRefusal{last}), i18n.Errorf("end of data: %s", last)
	}
	return rcptResult{code: 250, text: last}, nil
}

// resultOf turns an error into a reply: a refusal keeps its code and
// text; a failure of the connection has code 0 (try again later).
func resultOf(err error) rcptResult {
	var r *peerRefusal
	if errors.As(err, &r) {
		code, _ := strconv.Atoi(r.line[:min(3, len(r.line))])
		return rcptResult{code: code, text: r.line}
	}
	return rcptResult{code: 0, text: err.Error()}
}

func allFailed(to []Address, err error) map[Address]rcptResult {
	res := resultOf(err)
	m := make(map[Address]rcptResult, len(to))
	for _, r := range to {
		m[r] = res
	}
	return m
}

// bounce tells the sender of e that some recipients failed, with a
// delivery status notification (RFC 3464) in the sender's mailbox. Bounces
// themselves (null sender) are never bounced.
func (sb *Sandbox) bounce(p *Provider, e *envelope, failed []failure) {
	rcpts := make([]string, len(failed))
	for i, f := range failed {
		rcpts[i] = f.rcpt.String()
	}
	sb.emit(trace.Event{From: p.SMTPHost(), To: e.From, Action: trace.Bounced, Message: e.Journey, BounceOf: e.BounceOf,
		Facts: &trace.Facts{QueueID: e.ID, Recipients: rcpts, Reason: failed[0].reply.text}})
	if e.From == "" {
		return
	}
	sender, err := ParseAddress(e.From)
	if err != nil {
		return
	}
	id := sb.newQueueID()
	dsn := deliveryReport(p, id, e, failed, time.Now())
	owner, ok := sb.world.Provider(sender.Domain)
	_, _, account := sb.world.Account(sender)
	switch {
	case !ok:
		return // never send outside the world
	case owner == p && !account:
		return // a sender made up (--allow-spoofing): nobody here to tell
	case owner == p:
		sb.deliverLocal(p, id, "", dsn, []Address{sender}, Meta{Journey: id, BounceOf: e.Journey})
	default:
		sb.enqueue(p, &envelope{ID: id, Journey: id, BounceOf: e.Journey, From: "", To: []Address{sender}, Data: dsn, Received: time.Now()})
	}
}

// deliveryReport builds a multipart/report delivery status notification.
func deliveryReport(p *Provider, id string, e *envelope, failed []failure, now time.Time) []byte {
	boundary := "=_maillab_" + id
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n", p.Domain)
	fmt.Fprintf(&b, "To: <%s>\r\n", e.From)
	b.WriteString("Subject: Undelivered Mail Returned to Sender\r\n")
	fmt.Fprintf(&b, "Date: %s\r\nMessage-ID: <%s@%s>\r\n", now.Format(time.RFC1123Z), id, p.SMTPHost())
	b.WriteString("Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n")
	fmt.Fprintf(&b, "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"%s\"\r\n\r\n", boundary)
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n", boundary)
	fmt.Fprintf(&b, "This is the mail system at %s.\r\n\r\nYour message %s could not be delivered to:\r\n\r\n", p.SMTPHost(), e.ID)
	for _, f := range failed {
		fmt.Fprintf(&b, "<%s>: %s\r\n", f.rcpt, f.reply.text)
	}
	fmt.Fprintf(&b, "\r\n--%s\r\nContent-Type: message/delivery-status\r\n\r\n", boundary)
	fmt.Fprintf(&b, "Reporting-MTA: dns; %s\r\nArrival-Date: %s\r\n", p.SMTPHost(), e.Received.Format(time.RFC1123Z))
	for _, f := range failed {
		fmt.Fprintf(&b, "\r\nFinal-Recipient: rfc822; %s\r\nAction: failed\r\nStatus: %s\r\n", f.rcpt, dsnStatus(f.reply))
		if f.reply.code != 0 {
			fmt.Fprintf(&b, "Diagnostic-Code: smtp; %s\r\n", f.reply.text)
		}
	}
	fmt.Fprintf(&b, "\r\n--%s\r\nContent-Type: text/rfc822-headers\r\n\r\n", boundary)
	b.Write(headerSection(e.Data))
	fmt.Fprintf(&b, "\r\n--%s--\r\n", boundary)
	return b.Bytes()
}

// dsnStatus picks the enhanced status code of a failure: the one in the
// reply, or 4.4.7 (delivery time expired) when the queue gave up.
func dsnStatus(r rcptResult) string {
	var a, b, c int
	if _, err := fmt.Sscanf(r.text, "%d %d.%d.%d", new(int), &a, &b, &c); err == nil && a >= 2 {
		return fmt.Sprintf("%d.%d.%d", a, b, c)
	}
	if r.code == 0 {
		return "4.4.7"
	}
	return fmt.Sprintf("%d.0.0", r.code/100)
}

// headerSection returns the header lines of msg (up to the blank line).
func headerSection(msg []byte) []byte {
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		return msg[:i+2]
	}
	return msg
}

// bodyParam is MAIL's BODY parameter for a message: BODY=8BITMIME when it
// holds bytes above 127 (RFC 6152 makes it a statement that it does),
// nothing for 7-bit content, which is the default.
func bodyParam(data []byte) string {
	for _, b := range data {
		if b >= 0x80 {
			return " BODY=8BITMIME"
		}
	}
	return ""
}
