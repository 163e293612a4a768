package sandbox

import (
	"fmt"
	"strings"
	"testing"
)

// TestSpillStore: messages stay in memory up to the budget, the rest go
// to disk; a mailbox lists them oldest first across both, reads and
// deletes them wherever they are, and room freed in memory is used again.
func TestSpillStore(t *testing.T) {
	s := NewSpillStore(3000)
	defer s.Remove()
	owner := Address{"bbb", "sina.com"}
	msg := func(i int) []byte {
		return []byte(fmt.Sprintf("Subject: %d\r\n\r\n%s\r\n", i, strings.Repeat("x", 980)))
	}
	var ids []string
	for i := range 6 {
		id, err := s.Deliver(owner, msg(i), Meta{Journey: fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if s.used.Load() > 3000 {
		t.Errorf("%d octets in memory, over the budget", s.used.Load())
	}
	if infos, _ := s.disk.List(owner); len(infos) != 3 { // the disk half, made at the first message that did not fit
		t.Errorf("%d messages on disk, want 3 (3 of 996 octets fit in 3000)", len(infos))
	}
	if err := s.Delete(owner, []string{ids[0]}); err != nil {
		t.Fatal(err)
	}
	id, _ := s.Deliver(owner, msg(6), Meta{Journey: "6"})
	ids = append(ids[1:], id)
	infos, err := s.List(owner)
	if err != nil || len(infos) != 6 {
		t.Fatalf("list: %v %v", infos, err)
	}
	var total int64
	for i, m := range infos {
		if m.ID != ids[i] || m.Journey != fmt.Sprint(i+1) {
			t.Errorf("message %d: %s (journey %s), want %s", i, m.ID, m.Journey, ids[i])
		}
		data, err := s.Read(owner, m.ID)
		if err != nil || !strings.HasPrefix(string(data), fmt.Sprintf("Subject: %d\r\n", i+1)) {
			t.Errorf("read %s: %q %v", m.ID, data[:min(len(data), 20)], err)
		}
		total += m.Size
	}
	if usage, _ := s.Usage(owner); usage != total {
		t.Errorf("usage %d, want %d", usage, total)
	}
	if infos, _ := s.mem.List(owner); len(infos) != 3 {
		t.Errorf("the room freed in memory was not used again: %d in memory", len(infos))
	}
}
