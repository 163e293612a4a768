package sandbox

import (
	"sync"

	"maillab/trace/i18n"
	"maillab/trace/proto/smtp"
)

// faults are replies a teacher asked for: the next message to an account
// gets one, once.
type faults struct {
	mu   sync.Mutex
	next map[string]smtp.Reply // canonical address -> the reply
}

// InjectFault makes the next RCPT TO for account (at its own provider's
// server, so also when another provider relays to it) get fault, which
// must be one of smtp.Faults: a 4xx teaches retries, a 5xx bounces.
func (sb *Sandbox) InjectFault(account Address, fault smtp.Reply) error {
	if _, _, ok := sb.world.Account(account); !ok {
		return i18n.Errorf("%s: no such account", account)
	}
	known := false
	for _, f := range smtp.Faults {
		known = known || f.Key == fault.Key
	}
	if !known {
		return i18n.Errorf("%s: not a fault a teacher can inject", fault.Key)
	}
	sb.faults.mu.Lock()
	defer sb.faults.mu.Unlock()
	if sb.faults.next == nil {
		sb.faults.next = map[string]smtp.Reply{}
	}
	sb.faults.next[sb.world.canonical(account)] = fault
	return nil
}

// Faults lists the faults waiting, by canonical address.
func (sb *Sandbox) Faults() map[string]smtp.Reply {
	sb.faults.mu.Lock()
	defer sb.faults.mu.Unlock()
	out := make(map[string]smtp.Reply, len(sb.faults.next))
	for k, v := range sb.faults.next {
		out[k] = v
	}
	return out
}

// CancelFault forgets the fault waiting for an account, reporting
// whether there was one.
func (sb *Sandbox) CancelFault(account Address) bool {
	sb.faults.mu.Lock()
	defer sb.faults.mu.Unlock()
	key := sb.world.canonical(account)
	_, ok := sb.faults.next[key]
	delete(sb.faults.next, key)
	return ok
}

// takeFault returns (and forgets) the fault waiting for an account.
func (sb *Sandbox) takeFault(account Address) (smtp.Reply, bool) {
	sb.faults.mu.Lock()
	defer sb.faults.mu.Unlock()
	if len(sb.faults.next) == 0 {
		return smtp.Reply{}, false // the common case: no fault waits for anyone
	}
	key := sb.world.canonical(account)
	f, ok := sb.faults.next[key]
	delete(sb.faults.next, key)
	return f, ok
}

// EmptyMailbox deletes every message of an account's mailbox. A mailbox
// open in a POP3 session is left alone (it is locked, RFC 1939).
func (sb *Sandbox) EmptyMailbox(account Address) (int, error) {
	_, user, ok := sb.world.Account(account)
	if !ok {
		return 0, i18n.Errorf("%s: no such account", account)
	}
	owner := Address{Local: user, Domain: account.Domain}
	unlock, ok := sb.locks.tryLock(owner)
	if !ok {
		return 0, i18n.Errorf("%s's mailbox is open in a POP3 session; try again when it has quit", owner)
	}
	defer unlock()
	infos, err := sb.store.List(owner)
	if err != nil {
		return 0, err
	}
	ids := make([]string, len(infos))
	for i, m := range infos {
		ids[i] = m.ID
	}
	return len(ids), sb.store.Delete(owner, ids)
}
