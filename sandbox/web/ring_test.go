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
