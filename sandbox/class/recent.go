package class

import "container/list"

// Recent keeps up to a limit of values by key; past it, putting a new one
// forgets the one least recently used. A session whose "closed" never
// came (a consumer that fell behind drops events) is forgotten in its
// turn, never kept for ever, and never keeps a new one out. It is not
// safe for concurrent use.
type Recent[V any] struct {
	limit int
	order *list.List // of *entry[V], most recent first
	byKey map[string]*list.Element
}

type entry[V any] struct {
	key   string
	value V
}

// NewRecent keeps up to limit values.
func NewRecent[V any](limit int) *Recent[V] {
	return &Recent[V]{limit: max(limit, 1), order: list.New(), byKey: map[string]*list.Element{}}
}

// Get returns a key's value, marking it used.
func (r *Recent[V]) Get(key string) (V, bool) {
	el, ok := r.byKey[key]
	if !ok {
		var zero V
		return zero, false
	}
	r.order.MoveToFront(el)
	return el.Value.(*entry[V]).value, true
}

// Put keeps a value for a key; when that makes one too many, it returns
// the least recently used one, forgotten.
func (r *Recent[V]) Put(key string, value V) (forgotten V, didForget bool) {
	if el, ok := r.byKey[key]; ok {
		el.Value.(*entry[V]).value = value
		r.order.MoveToFront(el)
		return forgotten, false
	}
	r.byKey[key] = r.order.PushFront(&entry[V]{key, value})
	if r.order.Len() <= r.limit {
		return forgotten, false
	}
	oldest := r.order.Back()
	r.order.Remove(oldest)
	e := oldest.Value.(*entry[V])
	delete(r.byKey, e.key)
	return e.value, true
}

// Delete forgets a key.
func (r *Recent[V]) Delete(key string) {
	if el, ok := r.byKey[key]; ok {
		r.order.Remove(el)
		delete(r.byKey, key)
	}
}

// Len is how many values are kept.
func (r *Recent[V]) Len() int { return r.order.Len() }
