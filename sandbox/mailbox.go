package sandbox

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"maillab/trace/i18n"
)

// ErrNoMessage means a message id is not (or no longer) in the mailbox.
var ErrNoMessage = i18n.NewError("no such message")

// MessageInfo describes a stored message without its content.
type MessageInfo struct {
	ID   string // unique and stable: the POP3 UIDL
	Size int64  // octets, as POP3 counts them (CRLF line ends)
	Meta
}

// Meta is what the sandbox keeps with a stored copy besides its content:
// which journey it is (so the POP3 commands that name it say so, however
// much later), and for a bounce, the journey it reports on.
type Meta struct {
	Journey  string
	BounceOf string
}

// Store keeps mailboxes. Messages are stored with CRLF line ends, exactly as
// they will be retrieved. A Store must be safe for concurrent use.
type Store interface {
	// Deliver adds a message to a mailbox, with what the sandbox keeps
	// about it, and returns its id. It returns only once the message is
	// safely stored.
	Deliver(owner Address, data []byte, meta Meta) (string, error)
	// List returns the mailbox's messages, oldest first.
	List(owner Address) ([]MessageInfo, error)
	// Read returns one message's content.
	Read(owner Address, id string) ([]byte, error)
	// Delete removes messages; ids that are already gone are ignored.
	Delete(owner Address, ids []string) error
	// Usage returns the octets the mailbox holds.
	Usage(owner Address) (int64, error)
}

// MemoryStore is a Store held in memory: quick, and gone when the process
// ends.
type MemoryStore struct {
	mu    sync.RWMutex
	boxes map[string]*memoryBox
	seq   atomic.Uint64
	epoch string
}

type memoryBox struct {
	mu     sync.RWMutex
	msgs   []memoryMessage
	octets int64 // the sum of the messages' sizes: Usage is asked at every delivery
}

type memoryMessage struct {
	id   string
	data []byte
	meta Meta
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{
		boxes: make(map[string]*memoryBox),
		epoch: strconv.FormatInt(time.Now().Unix(), 36),
	}
}

func (s *MemoryStore) box(owner Address, create bool) *memoryBox {
	key := owner.String()
	s.mu.RLock()
	b := s.boxes[key]
	s.mu.RUnlock()
	if b != nil || !create {
		return b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b = s.boxes[key]; b == nil {
		b = &memoryBox{}
		s.boxes[key] = b
	}
	return b
}

// Deliver implements Store.
func (s *MemoryStore) Deliver(owner Address, data []byte, meta Meta) (string, error) {
	id := fmt.Sprintf("%s.%d", s.epoch, s.seq.Add(1))
	b := s.box(owner, true)
	b.mu.Lock()
	b.msgs = append(b.msgs, memoryMessage{id: id, data: data, meta: meta})
	b.octets += int64(len(data))
	b.mu.Unlock()
	return id, nil
}

// List implements Store.
func (s *MemoryStore) List(owner Address) ([]MessageInfo, error) {
	b := s.box(owner, false)
	if b == nil {
		return nil, nil
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	infos := make([]MessageInfo, len(b.msgs))
	for i, m := range b.msgs {
		infos[i] = MessageInfo{ID: m.id, Size: int64(len(m.data)), Meta: m.meta}
	}
	return infos, nil
}

// Read implements Store.
func (s *MemoryStore) Read(owner Address, id string) ([]byte, error) {
	if b := s.box(owner, false); b != nil {
		b.mu.RLock()
		defer b.mu.RUnlock()
		for _, m := range b.msgs {
			if m.id == id {
				return m.data, nil
			}
		}
	}
	return nil, i18n.Errorf("read %s in %s: %w", id, owner, ErrNoMessage)
}

// Usage implements Store.
func (s *MemoryStore) Usage(owner Address) (int64, error) {
	b := s.box(owner, false)
	if b == nil {
		return 0, nil
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.octets, nil
}

// Delete implements Store.
func (s *MemoryStore) Delete(owner Address, ids []string) error {
	b := s.box(owner, false)
	if b == nil {
		return nil
	}
	gone := make(map[string]bool, len(ids))
	for _, id := range ids {
		gone[id] = true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	kept := b.msgs[:0]
	for _, m := range b.msgs {
		if gone[m.id] {
			b.octets -= int64(len(m.data))
		} else {
			kept = append(kept, m)
		}
	}
	clear(b.msgs[len(kept):])
	b.msgs = kept
	return nil
}

// mailboxLocks gives POP3 sessions exclusive access to a mailbox
// (RFC 1939 section 8: the maildrop is locked while a session is open).
// A held lock is a channel, closed when it is released, so a waiting
// login wakes at the release.
type mailboxLocks struct {
	mu      sync.Mutex
	locked  map[string]chan struct{}
	waiters atomic.Int32 // logins waiting for a lock now
}

// tryLock locks owner's mailbox and returns an unlock function, or false
// when another session holds it.
func (l *mailboxLocks) tryLock(owner Address) (unlock func(), ok bool) {
	unlock, _ = l.acquire(owner.String())
	return unlock, unlock != nil
}

// acquire takes key's lock and returns its unlock function, or, when
// another holds it, the channel closed at its release.
func (l *mailboxLocks) acquire(key string) (unlock func(), released <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if held, ok := l.locked[key]; ok {
		return nil, held
	}
	if l.locked == nil {
		l.locked = make(map[string]chan struct{})
	}
	ch := make(chan struct{})
	l.locked[key] = ch
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.locked, key)
		close(ch)
	}, nil
}

// lockWait is how long a login waits for a mailbox another session holds:
// a client that drops a connection and logs in again at once finds its
// old session still letting go of the lock.
const lockWait = 500 * time.Millisecond

// lock is tryLock, waiting up to wait for the holder to let go.
func (l *mailboxLocks) lock(owner Address, wait time.Duration) (unlock func(), ok bool) {
	timeout := time.NewTimer(wait)
	defer timeout.Stop()
	for {
		unlock, released := l.acquire(owner.String())
		if unlock != nil {
			return unlock, true
		}
		if !l.await(released, timeout.C) {
			return nil, false
		}
	}
}

// await waits for a lock's release, or reports false at the timeout.
func (l *mailboxLocks) await(released <-chan struct{}, timeout <-chan time.Time) bool {
	l.waiters.Add(1)
	defer l.waiters.Add(-1)
	select {
	case <-released:
		return true
	case <-timeout:
		return false
	}
}

// overQuota reports whether owner's mailbox, with size more octets, would
// hold more than the quota (RFC 3463 X.2.2: mailbox full).
func (sb *Sandbox) overQuota(owner Address, size int64) bool {
	if sb.cfg.Quota <= 0 {
		return false
	}
	used, err := sb.store.Usage(owner)
	if err != nil {
		return false // the store's own error comes when it is written
	}
	if size == 0 {
		return used >= sb.cfg.Quota
	}
	return used+size > sb.cfg.Quota
}
