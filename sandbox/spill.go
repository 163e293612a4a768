package sandbox

import (
	"cmp"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
)

// scratchMemory is how much mail a sandbox without --maildir keeps in
// memory, all mailboxes together, before it writes the rest to disk.
const scratchMemory = 64 << 20

// SpillStore keeps messages in memory up to a budget shared by every
// mailbox, and the rest in a scratch Maildir: quick for a class's usual
// mail (a file per message costs a disk's time), bounded however much a
// flood sends. Nothing in it outlives the process (--maildir is for that).
type SpillStore struct {
	mem    *MemoryStore
	budget int64
	used   atomic.Int64 // octets in memory

	mu     sync.Mutex
	disk   *MaildirStore     // made at the first message that does not fit
	onDisk map[string]bool   // mailboxes with messages on disk
	order  map[string]uint64 // message id -> delivery order, so lists are oldest first across both
	seq    uint64
}

// NewSpillStore makes a store that keeps up to budget octets in memory.
// Nothing touches the disk until a message does not fit.
func NewSpillStore(budget int64) *SpillStore {
	return &SpillStore{mem: NewMemoryStore(), budget: budget, onDisk: map[string]bool{}, order: map[string]uint64{}}
}

// Remove deletes what was written to disk.
func (s *SpillStore) Remove() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.disk == nil {
		return nil
	}
	return s.disk.Remove()
}

// diskOf returns the disk half when owner has messages there (or, with
// create, makes it ready for one), else nil.
func (s *SpillStore) diskOf(owner Address, create bool) (*MaildirStore, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !create {
		if s.onDisk[owner.String()] {
			return s.disk, nil
		}
		return nil, nil
	}
	if s.disk == nil {
		disk, err := NewScratchStore()
		if err != nil {
			return nil, err
		}
		s.disk = disk
	}
	s.onDisk[owner.String()] = true
	return s.disk, nil
}

// Deliver implements Store: in memory while the budget allows, else on
// disk.
func (s *SpillStore) Deliver(owner Address, data []byte, meta Meta) (string, error) {
	var id string
	var err error
	if s.used.Add(int64(len(data))) <= s.budget {
		id, err = s.mem.Deliver(owner, data, meta)
	} else {
		s.used.Add(-int64(len(data)))
		var disk *MaildirStore
		if disk, err = s.diskOf(owner, true); err == nil {
			id, err = disk.Deliver(owner, data, meta)
		}
	}
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.seq++
	s.order[id] = s.seq
	s.mu.Unlock()
	return id, nil
}

// List implements Store: both halves, in the order they were delivered.
func (s *SpillStore) List(owner Address) ([]MessageInfo, error) {
	inMemory, err := s.mem.List(owner)
	if err != nil {
		return nil, err
	}
	all := inMemory
	if disk, _ := s.diskOf(owner, false); disk != nil {
		onDisk, err := disk.List(owner)
		if err != nil {
			return nil, err
		}
		all = append(all, onDisk...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	slices.SortStableFunc(all, func(a, b MessageInfo) int { return cmp.Compare(s.order[a.ID], s.order[b.ID]) })
	return all, nil
}

// Read implements Store.
func (s *SpillStore) Read(owner Address, id string) ([]byte, error) {
	data, err := s.mem.Read(owner, id)
	if disk, _ := s.diskOf(owner, false); errors.Is(err, ErrNoMessage) && disk != nil {
		return disk.Read(owner, id)
	}
	return data, err
}

// Delete implements Store.
func (s *SpillStore) Delete(owner Address, ids []string) error {
	inMemory, _ := s.mem.List(owner)
	for _, m := range inMemory {
		if slices.Contains(ids, m.ID) {
			s.used.Add(-m.Size)
		}
	}
	if err := s.mem.Delete(owner, ids); err != nil {
		return err
	}
	if disk, _ := s.diskOf(owner, false); disk != nil {
		if err := disk.Delete(owner, ids); err != nil {
			return err
		}
	}
	s.mu.Lock()
	for _, id := range ids {
		delete(s.order, id)
	}
	s.mu.Unlock()
	return nil
}

// Usage implements Store.
func (s *SpillStore) Usage(owner Address) (int64, error) {
	inMemory, err := s.mem.Usage(owner)
	if err != nil {
		return 0, err
	}
	disk, _ := s.diskOf(owner, false)
	if disk == nil {
		return inMemory, nil
	}
	onDisk, err := disk.Usage(owner)
	return inMemory + onDisk, err
}
