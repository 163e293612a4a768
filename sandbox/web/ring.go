package web

import (
	"sync"

	"maillab/trace"
)

// item is one event as the pages receive it: JSON for the shared page
// (students' secrets masked) and for the teacher's view (as it was). The
// event is kept as it came and encoded when a page first asks for it,
// once for every page: nobody watching costs no encoding.
type item struct {
	id      uint64
	event   string      // "": an event of the sandbox; "narrate": the teacher asks the pages to tell a message
	raw     trace.Event // the event, until encoded
	once    sync.Once
	public  []byte
	private []byte
}

// encoded returns the item's JSON for the shared page or the teacher's
// view, encoding it with encode the first time.
func (it *item) encoded(private bool, encode func(*item)) []byte {
	it.once.Do(func() {
		if it.public == nil {
			encode(it)
			it.raw = trace.Event{} // what was kept for encoding is no longer needed
		}
	})
	if private {
		return it.private
	}
	return it.public
}

// itemBlock is how many items one allocation makes.
const itemBlock = 256

// itemSlab hands out items carved from blocks: a busy sandbox adds an item
// per event, and one allocation per block instead of per item spares the
// garbage collector. The ring forgets items in the order they came, so a
// block is freed soon after its last item leaves the ring. Only one
// goroutine may use a slab.
type itemSlab struct{ free []item }

func (s *itemSlab) next() *item {
	if len(s.free) == 0 {
		s.free = make([]item, itemBlock)
	}
	it := &s.free[0]
	s.free = s.free[1:]
	return it
}

// ring keeps the last events for pages that reconnect (EventSource's
// Last-Event-ID) or replay. It is filled by one goroutine and read by any
// number of page connections, each at its own pace: a page that falls
// more than the ring's size behind skips ahead and is told how much it
// missed. Nobody waits for a page.
type ring struct {
	mu     sync.Mutex
	items  []*item       // circular, len == capacity once full
	start  int           // index of the oldest item
	next   uint64        // the id the next item gets (ids start at 1)
	notify chan struct{} // closed when an item is added
	waited bool          // someone holds notify: the next add closes it
}

func newRing(capacity int) *ring {
	return &ring{items: make([]*item, 0, capacity), next: 1, notify: make(chan struct{})}
}

// add appends an item, forgetting the oldest when full, and wakes readers.
func (r *ring) add(it *item) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	it.id = r.next
	r.next++
	if len(r.items) < cap(r.items) {
		r.items = append(r.items, it)
	} else {
		r.items[r.start] = it
		r.start = (r.start + 1) % len(r.items)
	}
	if r.waited { // a new channel only when the last was handed out: a flood with nobody watching makes none
		close(r.notify)
		r.notify, r.waited = make(chan struct{}), false
	}
	return it.id
}

// since returns up to max items after id, how many items after id were
// already forgotten, and a channel closed when more come.
func (r *ring) since(id uint64, max int) (items []*item, missed uint64, more <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	oldest := r.next - uint64(len(r.items))
	if id+1 < oldest {
		missed = oldest - id - 1
		id = oldest - 1
	}
	for n := id + 1; n < r.next && len(items) < max; n++ {
		items = append(items, r.items[(r.start+int(n-oldest))%len(r.items)])
	}
	r.waited = true
	return items, missed, r.notify
}

// last is the id of the newest item (0 when none).
func (r *ring) last() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.next - 1
}
