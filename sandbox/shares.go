package sandbox

import (
	"net"
	"sync"
	"time"

	"maillab/trace"
)

// Fair shares: one student's connections never refuse another's. Before
// a session logs in it counts against its client's address (at most
// MaxPerAddress at once, across every server); after, against its account
// (MaxPerAccount); each server takes at most MaxConns in all. The
// sandbox's own relay counts against nothing. When a server's slots are
// mostly taken, a session that has not logged in may idle only
// loadIdleTimeout between lines (as Postfix's stress mode shortens its
// timeouts); a quiet class never notices.
const (
	defaultPerAddress = 30
	defaultPerAccount = 20
	loadIdleTimeout   = 10 * time.Second
	underLoad         = 0.75 // the share of a server's slots taken that is "most"
)

// shares counts the sessions of the sandbox by address and by account.
type shares struct {
	mu         sync.Mutex
	perAddress int // 0: no limit
	perAccount int
	byAddress  map[string]int
	byAccount  map[string]int
}

// seat is one session's place: what it counts against.
type seat struct {
	s       *shares
	host    string // the client's address while it counts against it
	account string // the account once it has logged in
	full    func() bool
}

// admit gives a new session from remote a seat, or false when its address
// has its share already.
func (sh *shares) admit(remote net.Addr, full func() bool) (*seat, bool) {
	host := hostOf(remote)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.perAddress > 0 && sh.byAddress[host] >= sh.perAddress {
		return nil, false
	}
	if sh.byAddress == nil {
		sh.byAddress, sh.byAccount = map[string]int{}, map[string]int{}
	}
	sh.byAddress[host]++
	return &seat{s: sh, host: host, full: full}, true
}

// loggedIn moves the seat from its address to the account; false when
// the account has its share already (the seat then stays as it was).
func (st *seat) loggedIn(account Address) bool {
	if st == nil {
		return true
	}
	sh := st.s
	sh.mu.Lock()
	defer sh.mu.Unlock()
	key := account.String()
	if st.account == key {
		return true
	}
	if sh.perAccount > 0 && sh.byAccount[key] >= sh.perAccount {
		return false
	}
	st.release()
	st.account = key
	sh.byAccount[key]++
	return true
}

// exempt frees the seat's share: the sandbox's own relay counts for
// nobody.
func (st *seat) exempt() { st.leave() }

// leave gives the seat up when the session ends.
func (st *seat) leave() {
	if st == nil {
		return
	}
	st.s.mu.Lock()
	defer st.s.mu.Unlock()
	st.release()
}

// release takes the seat off its counts (under the lock).
func (st *seat) release() {
	sh := st.s
	if st.host != "" {
		if sh.byAddress[st.host]--; sh.byAddress[st.host] <= 0 {
			delete(sh.byAddress, st.host)
		}
		st.host = ""
	}
	if st.account != "" {
		if sh.byAccount[st.account]--; sh.byAccount[st.account] <= 0 {
			delete(sh.byAccount, st.account)
		}
		st.account = ""
	}
}

// idleTimeout is how long a session may wait for its client's next line:
// the configured time, or loadIdleTimeout for a session that has not
// logged in while its server is mostly full.
func (st *seat) idleTimeout(configured time.Duration, loggedIn bool) time.Duration {
	if st != nil && !loggedIn && st.full() && configured > loadIdleTimeout {
		return loadIdleTimeout
	}
	return configured
}

// handshakeWait is how long a TLS handshake may take.
func (st *seat) handshakeWait() time.Duration {
	if st != nil && st.full() {
		return loadHandshakeWait
	}
	return handshakeWait
}

// acceptErrorWait bounds the pause after a failed Accept: it starts at
// 5 ms and doubles, as net/http's server does, so a listener that runs
// out of file descriptors waits for some to be freed and never gives up.
const (
	firstAcceptWait = 5 * time.Millisecond
	maxAcceptWait   = time.Second
)

// acceptFailing reports, once per streak, that a listener cannot accept.
func (sb *Sandbox) acceptFailing(name string, err error) {
	sb.emit(trace.Event{From: name, Action: trace.AcceptFailing, Facts: &trace.Facts{Reason: err.Error()}})
}
