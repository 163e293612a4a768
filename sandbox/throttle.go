package sandbox

import (
	"net"
	"strings"
	"sync"
	"time"

	"maillab/trace"
)

// The login throttle's settings: failures for one account from one client
// address are answered ever later (none for the first, then half a second,
// doubling up to maxLoginDelay), and attempts on that pair wait their
// turn, so opening many connections does not guess faster. It forgets a
// pair after loginMemory without failures, and holds at most
// maxThrottled pairs.
const (
	firstLoginDelay = 500 * time.Millisecond
	maxLoginDelay   = 8 * time.Second
	loginMemory     = 15 * time.Minute
	maxThrottled    = 10000
)

// loginThrottle slows password guessing, as real servers do, without
// slowing anyone else: the class's own logins are other pairs.
type loginThrottle struct {
	mu    sync.Mutex
	pairs map[string]*throttled
}

type throttled struct {
	turn  sync.Mutex // one attempt at a time per pair
	fails int
	last  time.Time
	users int // attempts holding or waiting for turn (under loginThrottle.mu)
}

// attempt runs check (a password check) as the pair's turn comes, and on
// failure waits the pair's delay before returning. It reports the check's
// result, and how long it waited after a failure.
func (sb *Sandbox) attempt(remote net.Addr, p *Provider, name string, check func() bool) (ok bool, waited time.Duration) {
	key := throttleKey(remote, p, name)
	t := sb.throttle.enter(key)
	defer sb.throttle.leave(key, t)
	t.turn.Lock()
	defer t.turn.Unlock()
	if time.Since(t.last) > loginMemory {
		t.fails = 0
	}
	if check() {
		t.fails = 0
		return true, 0
	}
	t.fails++
	t.last = time.Now()
	delay := loginDelay(t.fails)
	if delay == 0 {
		return false, 0
	}
	sb.emit(trace.Event{From: p.Domain, To: strings.SplitN(key, "|", 2)[1], Action: trace.LoginDelayed,
		Facts: &trace.Facts{Mailbox: strings.SplitN(key, "|", 2)[1], Client: hostOf(remote), Wait: delay, Count: t.fails}})
	select {
	case <-time.After(delay):
	case <-sb.ctx.Done():
	}
	return false, delay
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

// throttleKey names a pair: the client's address and the account the
// name logs in to (or the name itself, when it is no account).
func throttleKey(remote net.Addr, p *Provider, name string) string {
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
	return hostOf(remote) + "|" + account
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

func (lt *loginThrottle) enter(key string) *throttled {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	if lt.pairs == nil {
		lt.pairs = make(map[string]*throttled)
	}
	t := lt.pairs[key]
	if t == nil {
		lt.prune()
		t = &throttled{}
		lt.pairs[key] = t
	}
	t.users++
	return t
}

func (lt *loginThrottle) leave(key string, t *throttled) {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	t.users--
}

// prune keeps the table bounded: pairs nobody uses that have failed
// nothing lately go first; when that is not enough, any idle pair.
func (lt *loginThrottle) prune() {
	if len(lt.pairs) < maxThrottled {
		return
	}
	for k, t := range lt.pairs {
		if t.users == 0 && (t.fails == 0 || time.Since(t.last) > loginMemory) {
			delete(lt.pairs, k)
		}
	}
	for k, t := range lt.pairs {
		if len(lt.pairs) < maxThrottled {
			break
		}
		if t.users == 0 {
			delete(lt.pairs, k)
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
