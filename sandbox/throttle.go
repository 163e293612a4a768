package sandbox

import (
	"context"
	"net"
	"strings"
	"sync"
	"time"

	"maillab/trace"
)

// The login throttle's settings. Every password check (SMTP AUTH, POP3
// PASS) goes through one throttle, which slows guessing two ways:
//   - per client address and account: the failures from one address are
//     answered ever later (none for the first, then half a second,
//     doubling up to maxLoginDelay), and that pair's attempts wait their
//     turn, so opening many connections does not guess faster;
//   - per account, across addresses: after accountFreeFailures failures
//     from anywhere, every attempt from an address that has never logged
//     in as the account waits its turn and is answered late, so guessing
//     from many addresses is no faster than from one. An attempt that
//     cannot have its turn within maxLoginDelay is told to try again later
//     (a temporary failure, as real servers throttle). An address that has
//     logged in as the account is never slowed by others' failures:
//     nobody can lock a classmate out by guessing.
//
// It forgets an entry after loginMemory without failures, and holds at
// most maxThrottled of each kind.
const (
	firstLoginDelay     = 500 * time.Millisecond
	maxLoginDelay       = 8 * time.Second
	accountFreeFailures = 3
	loginMemory         = 15 * time.Minute
	maxThrottled        = 10000
)

// loginThrottle slows password guessing without slowing anyone else.
type loginThrottle struct {
	mu       sync.Mutex
	pairs    map[string]*throttled // address|account
	accounts map[string]*throttled // account
}

// throttled is one pair's or one account's record.
type throttled struct {
	turn    chan struct{} // holds a token while an attempt runs: one at a time
	fails   int
	last    time.Time
	trusted bool // a pair: this address has logged in as the account
	users   int  // attempts holding or waiting for turn (under loginThrottle.mu)
}

// outcome is what came of a login attempt.
type outcome int

const (
	loginOK     outcome = iota
	loginFailed         // the name or password was wrong
	loginBusy           // not tried: guesses at this account are queued; try again later
)

// attempt runs check (a password check) as its turns come, and on failure
// waits the delay before returning.
func (sb *Sandbox) attempt(remote net.Addr, p *Provider, name string, check func() bool) outcome {
	account := throttleAccount(p, name)
	host := hostOf(remote)
	pair := sb.throttle.enter(sb.throttle.pairsMap(), host+"|"+account)
	defer sb.throttle.leave(pair)
	if !pair.take(sb.ctx, time.Hour) { // a pair's own attempts simply queue
		return loginBusy
	}
	defer pair.give()
	var acct *throttled
	if !pair.trustedNow(&sb.throttle.mu) {
		acct = sb.throttle.enter(sb.throttle.accountsMap(), account)
		defer sb.throttle.leave(acct)
		if !acct.take(sb.ctx, maxLoginDelay) {
			sb.emit(trace.Event{From: p.Domain, To: account, ToRole: trace.RoleMailbox, Action: trace.LoginQueued, Claimed: account,
				Facts: &trace.Facts{Mailbox: account, Client: host, Count: acct.failures(&sb.throttle.mu)}})
			return loginBusy
		}
		defer acct.give()
	}
	if check() {
		sb.throttle.succeeded(pair)
		return loginOK
	}
	delay, fails := sb.throttle.failed(pair, acct)
	if delay == 0 {
		return loginFailed
	}
	sb.emit(trace.Event{From: p.Domain, To: account, ToRole: trace.RoleMailbox, Action: trace.LoginDelayed, Claimed: account,
		Facts: &trace.Facts{Mailbox: account, Client: host, Wait: delay, Count: fails}})
	select {
	case <-time.After(delay):
	case <-sb.ctx.Done():
	}
	return loginFailed
}

// take waits up to wait for the turn (or until ctx ends), and reports
// whether it got it.
func (t *throttled) take(ctx context.Context, wait time.Duration) bool {
	select {
	case t.turn <- struct{}{}:
		return true
	default:
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case t.turn <- struct{}{}:
		return true
	case <-timer.C:
	case <-ctx.Done():
	}
	return false
}

// give gives the turn back.
func (t *throttled) give() { <-t.turn }

// failures is how many failures the record counts now.
func (t *throttled) failures(mu *sync.Mutex) int {
	mu.Lock()
	defer mu.Unlock()
	return t.fails
}

// trustedNow reports whether the pair has logged in before.
func (t *throttled) trustedNow(mu *sync.Mutex) bool {
	mu.Lock()
	defer mu.Unlock()
	return t.trusted
}

// succeeded forgets the failures of the pair (the account's stay: a
// guesser elsewhere is still guessing), and trusts the pair from now on.
func (lt *loginThrottle) succeeded(pair *throttled) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	pair.fails, pair.trusted = 0, true
}

// failed counts a failure and returns the delay it earns: the pair's, or
// the account's when that is longer (and the pair is not trusted), with
// the failures that decided it.
func (lt *loginThrottle) failed(pair, acct *throttled) (time.Duration, int) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	now := time.Now()
	for _, t := range []*throttled{pair, acct} {
		if t == nil {
			continue
		}
		if now.Sub(t.last) > loginMemory {
			t.fails = 0
		}
		t.fails++
		t.last = now
	}
	delay, fails := loginDelay(pair.fails), pair.fails
	if acct != nil {
		if d := loginDelay(acct.fails - accountFreeFailures + 1); d > delay {
			delay, fails = d, acct.fails
		}
	}
	return delay, fails
}

// loginDelay is the wait after the n-th failure in a row.
func loginDelay(n int) time.Duration {
	if n < 2 {
		return 0
	}
	d := firstLoginDelay
	for i := 2; i < n && d < maxLoginDelay; i++ {
		d *= 2
	}
	return min(d, maxLoginDelay)
}

// throttleAccount names the account a login name logs in to (or the name
// itself, when it is no account), so that "gacl", "GACL" and
// "gacl@sohu.com" are one.
func throttleAccount(p *Provider, name string) string {
	account := strings.ToLower(name)
	if len(account) > 64 {
		account = account[:64]
	}
	local := account
	if at := strings.LastIndexByte(account, '@'); at >= 0 {
		local = account[:at]
	}
	if user, ok := p.account(local); ok {
		account = user + "@" + p.Domain
	}
	return account
}

func hostOf(a net.Addr) string {
	if a == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

func (lt *loginThrottle) pairsMap() *map[string]*throttled    { return &lt.pairs }
func (lt *loginThrottle) accountsMap() *map[string]*throttled { return &lt.accounts }

// enter finds (or makes) the record of key in m and counts a user of it.
func (lt *loginThrottle) enter(m *map[string]*throttled, key string) *throttled {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if *m == nil {
		*m = make(map[string]*throttled)
	}
	t := (*m)[key]
	if t == nil {
		prune(*m)
		t = &throttled{turn: make(chan struct{}, 1)}
		(*m)[key] = t
	}
	t.users++
	return t
}

func (lt *loginThrottle) leave(t *throttled) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	t.users--
}

// prune keeps a table bounded: entries nobody uses that have failed
// nothing lately (and trust nothing) go first; when that is not enough,
// any idle entry.
func prune(m map[string]*throttled) {
	if len(m) < maxThrottled {
		return
	}
	for k, t := range m {
		if t.users == 0 && !t.trusted && (t.fails == 0 || time.Since(t.last) > loginMemory) {
			delete(m, k)
		}
	}
	for k, t := range m {
		if len(m) < maxThrottled {
			break
		}
		if t.users == 0 {
			delete(m, k)
		}
	}
}

// Throttled returns how many client and account pairs the throttle
// remembers (for tests of its bound).
func (sb *Sandbox) Throttled() int {
	sb.throttle.mu.Lock()
	defer sb.throttle.mu.Unlock()
	return len(sb.throttle.pairs)
}
