package trace

import (
	"sync"
	"sync/atomic"
	"time"
)

// Hub fans Events out to subscribers. Its zero value is ready to use;
// publishing with no subscriber costs one mutex.
//
// A server publishes from the goroutine serving a client, so a subscriber
// must never make it wait. Subscribe is for sinks that return at once
// (counting, matching, forwarding to a channel); anything that may block
// (a terminal, a file, a browser, a person pressing Enter) subscribes with
// SubscribeQueued and gets its own goroutine and bounded queue.
type Hub struct {
	mu   sync.Mutex
	subs []*subscriber
	next int
}

type subscriber struct {
	id    int
	sink  Sink   // called in Publish's goroutine (Subscribe)
	queue *Queue // or fed without waiting (SubscribeQueued)
}

// Subscribe adds a Sink called in the publisher's goroutine, in order. s
// must return at once. The returned function removes it.
func (h *Hub) Subscribe(s Sink) (cancel func()) {
	return h.add(&subscriber{sink: s})
}

// SubscribeQueued adds a Sink that runs in its own goroutine behind a
// queue of capacity events. When the queue is full, events are dropped and
// counted, never waited for; the sink then receives one Dropped event
// saying how many it missed, where they were missed. name says who the
// consumer is in that event ("the wiretap", "viewer 3"). idle, when not
// nil, is called whenever the queue runs empty: the moment to flush
// buffered output, so a busy sandbox costs one write per batch, not per
// line.
func (h *Hub) SubscribeQueued(name string, capacity int, s Sink, idle func()) *Queue {
	q := NewQueue(name, capacity, s, idle)
	q.cancel = h.add(&subscriber{queue: q})
	return q
}

func (h *Hub) add(sub *subscriber) func() {
	h.mu.Lock()
	defer h.mu.Unlock()
	sub.id = h.next
	h.next++
	h.subs = append(h.subs, sub)
	return func() { h.remove(sub.id) }
}

func (h *Hub) remove(id int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, s := range h.subs {
		if s.id == id {
			h.subs = append(h.subs[:i:i], h.subs[i+1:]...)
			return
		}
	}
}

// Publish hands e to every subscriber: synchronous sinks in order, queued
// ones without waiting. Events reach each subscriber in the order Publish
// was called.
func (h *Hub) Publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.subs {
		if s.queue != nil {
			s.queue.Offer(e)
		} else {
			s.sink(e)
		}
	}
}

// Active reports whether anyone is listening, so producers can skip work.
func (h *Hub) Active() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs) > 0
}

// Queue is a subscriber with its own goroutine: events wait in a bounded
// queue, and those that find it full are dropped and counted. The queue
// takes memory for the events waiting, not for its bound: a sandbox whose
// consumers keep up holds a handful.
type Queue struct {
	name    string
	limit   int
	sink    Sink
	idle    func() // called when the queue runs empty
	done    chan struct{}
	wake    chan struct{} // a token when events are waiting
	closing chan struct{} // closed by Close: a nap ends at once
	cancel  func()
	dropped atomic.Int64 // events dropped in all
	once    sync.Once

	mu      sync.Mutex
	waiting []Event // the events not yet taken, oldest first
	spare   []Event // the last batch's slice, reused for the next
	gap     int     // events dropped since the last one queued
	closed  bool
}

// NewQueue starts a consumer goroutine running s for each event offered,
// behind a queue of at most capacity events. Hub.SubscribeQueued makes
// one; a producer with its own ordering (play holds events back) makes
// its own.
func NewQueue(name string, capacity int, s Sink, idle func()) *Queue {
	q := &Queue{name: name, limit: max(capacity, 2), sink: s, idle: idle, done: make(chan struct{}), wake: make(chan struct{}, 1),
		closing: make(chan struct{}), cancel: func() {}}
	go q.run()
	return q
}

// Offer queues e without waiting. After a gap it first queues a Dropped
// event, so the consumer learns where it missed events and how many.
func (q *Queue) Offer(e Event) {
	q.mu.Lock()
	switch {
	case q.closed:
	case len(q.waiting) >= q.limit || q.gap > 0 && len(q.waiting)+1 >= q.limit:
		q.gap++
		q.dropped.Add(1)
	default:
		if q.gap > 0 {
			q.waiting = append(q.waiting, q.notice(e.Time))
			q.gap = 0
		}
		q.waiting = append(q.waiting, e)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// notice is the Dropped event for the current gap.
func (q *Queue) notice(t time.Time) Event {
	return Event{Time: t, Kind: Internal, Action: Dropped, From: "maillab", Facts: &Facts{Count: q.gap, Viewer: q.name}}
}

// idleDelay is how long a busy queue naps between batches: short enough
// to go unnoticed on a screen, long enough that a busy sandbox wakes its
// consumers a hundred times a second, not once per line, and writes in
// batches.
const idleDelay = 10 * time.Millisecond

// take returns every event waiting, and whether the queue is closed.
func (q *Queue) take() ([]Event, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	batch := q.waiting
	q.waiting = q.spare[:0]
	if cap(q.waiting) > 4096 && len(batch) < 64 {
		q.waiting = nil // a past flood's room is given back
	}
	q.spare = nil
	return batch, q.closed
}

// run parks while nothing happens; the first event wakes it, and it then
// serves the burst in batches until a nap finds nothing new.
func (q *Queue) run() {
	defer close(q.done)
	nap := time.NewTimer(idleDelay)
	defer nap.Stop()
	for range q.wake {
		for {
			batch, closed := q.take()
			for _, e := range batch {
				q.sink(e)
			}
			q.giveBack(batch)
			q.flush()
			if closed {
				return
			}
			if len(batch) == 0 {
				break
			}
			nap.Reset(idleDelay)
			select {
			case <-nap.C:
			case <-q.closing:
			}
		}
	}
}

// giveBack keeps a batch's slice for the next one (cleared, so the
// events it held can be collected).
func (q *Queue) giveBack(batch []Event) {
	clear(batch)
	q.mu.Lock()
	if q.spare == nil && cap(batch) <= 4096 {
		q.spare = batch[:0]
	}
	q.mu.Unlock()
}

func (q *Queue) flush() {
	if q.idle != nil {
		q.idle()
	}
}

// Len returns how many events wait in the queue.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiting)
}

// Dropped returns how many events this consumer has missed.
func (q *Queue) Dropped() int64 { return q.dropped.Load() }

// Close unsubscribes and waits up to wait for the consumer to finish the
// events already queued (wait < 0: as long as it takes). It reports
// whether the consumer finished; one that is stuck (a paused terminal) is
// left behind, never waited for.
func (q *Queue) Close(wait time.Duration) bool {
	q.once.Do(func() {
		q.cancel() // after this, nothing offers any more
		q.mu.Lock()
		if q.gap > 0 {
			q.waiting = append(q.waiting, q.notice(time.Now()))
		}
		q.closed = true
		q.mu.Unlock()
		close(q.closing)
		select {
		case q.wake <- struct{}{}:
		default:
		}
	})
	if wait < 0 {
		<-q.done
		return true
	}
	select {
	case <-q.done:
		return true
	case <-time.After(wait):
		return false
	}
}
