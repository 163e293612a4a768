package web

import "testing"

func TestRing(t *testing.T) {
	r := newRing(3)
	for i := 0; i < 5; i++ {
		r.add(&item{public: []byte{byte('a' + i)}})
	}
	items, missed, _ := r.since(0, 10)
	if missed != 2 || len(items) != 3 || items[0].id != 3 || string(items[2].public) != "e" {
		t.Fatalf("since 0: %d missed, %v", missed, items)
	}
	items, missed, _ = r.since(4, 10)
	if missed != 0 || len(items) != 1 || items[0].id != 5 {
		t.Fatalf("since 4: %d missed, %v", missed, items)
	}
	items, _, more := r.since(5, 10)
	if len(items) != 0 {
		t.Fatalf("since the newest: %v", items)
	}
	r.add(&item{})
	select {
	case <-more:
	default:
		t.Fatal("a reader waiting for more was not woken")
	}
}

// TestRingWithNobodyWaiting: an event added while no page waits costs no
// allocation (a flood with nobody watching made a channel per event), and
// a page that starts waiting is still woken by the next one.
func TestRingWithNobodyWaiting(t *testing.T) {
	r := newRing(4)
	it := &item{}
	if n := testing.AllocsPerRun(100, func() { r.add(it) }); n != 0 {
		t.Errorf("adding with nobody waiting: %v allocations, want 0", n)
	}
	_, _, more := r.since(r.last(), 10)
	r.add(it)
	select {
	case <-more:
	default:
		t.Fatal("a page that began waiting was not woken")
	}
}

// keptItem keeps what TestItemSlab takes on the heap, as the ring does.
var keptItem *item

// TestItemSlab: items are handed out distinct and zero, and an
// allocation makes a block of them, not one.
func TestItemSlab(t *testing.T) {
	var s itemSlab
	seen := map[*item]bool{}
	for range 3 * itemBlock {
		it := s.next()
		if seen[it] || it.id != 0 || it.public != nil {
			t.Fatal("an item handed out twice, or not zero")
		}
		seen[it] = true
	}
	if n := testing.AllocsPerRun(4*itemBlock, func() { keptItem = s.next() }); n != 0 {
		t.Errorf("%v allocations per item, want one per block of %d", n, itemBlock)
	}
}
