package sandbox

import (
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"maillab/trace/i18n"

	"github.com/emersion/go-maildir"
)

// MaildirStore keeps mailboxes on disk as Maildir folders,
// DIR/<domain>/<user>/{tmp,new,cur}, so a restart loses nothing. A message
// is written to tmp, synced to disk, then renamed into cur: it is on disk
// before Deliver returns (and so before the server says 250).
type MaildirStore struct {
	root string
	mu   sync.Mutex
	init map[string]bool // mailbox folders created
}

// NewMaildirStore opens (and creates) the Maildir tree under root.
func NewMaildirStore(root string) (*MaildirStore, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, i18n.Errorf("maildir %s: %w", root, err)
	}
	return &MaildirStore{root: root, init: map[string]bool{}}, nil
}

// dir returns owner's Maildir, creating it on first use.
func (s *MaildirStore) dir(owner Address) (maildir.Dir, error) {
	d := maildir.Dir(filepath.Join(s.root, owner.Domain, owner.Local))
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.init[string(d)] {
		if err := os.MkdirAll(filepath.Dir(string(d)), 0o700); err != nil {
			return "", err
		}
		if err := d.Init(); err != nil {
			return "", i18n.Errorf("maildir %s: %w", d, err)
		}
		s.init[string(d)] = true
	}
	return d, nil
}

// Deliver implements Store. What the sandbox keeps about the message
// travels in its file name, after the unique part, as Dovecot keeps a
// message's size there (",J=journey,B=bounce-of"), so it is on disk with
// the message and gone with it.
func (s *MaildirStore) Deliver(owner Address, data []byte, meta Meta) (string, error) {
	d, err := s.dir(owner)
	if err != nil {
		return "", err
	}
	key, err := newMaildirKey(meta)
	if err != nil {
		return "", i18n.Errorf("maildir %s: %w", d, err)
	}
	tmp := filepath.Join(string(d), "tmp", key)
	if err := writeNew(tmp, data); err != nil {
		os.Remove(tmp)
		return "", i18n.Errorf("maildir %s: %w", d, err)
	}
	if err := os.Rename(tmp, filepath.Join(string(d), "cur", key+":2,")); err != nil {
		os.Remove(tmp)
		return "", i18n.Errorf("maildir %s: %w", d, err)
	}
	if err := syncDir(filepath.Join(string(d), "cur")); err != nil {
		return "", err
	}
	return key, nil
}

// writeNew writes a new file and syncs it to disk.
func writeNew(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// maildirSeq makes keys delivered in the same second by this process
// unique.
var maildirSeq atomic.Uint64

// newMaildirKey is a Maildir unique name (time, process and counter,
// random, host part "maillab") followed by the message's Meta.
func newMaildirKey(meta Meta) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	key := fmt.Sprintf("%d.P%dQ%dR%x.maillab", time.Now().Unix(), os.Getpid(), maildirSeq.Add(1), b)
	if meta.Journey != "" {
		key += ",J=" + meta.Journey
	}
	if meta.BounceOf != "" {
		key += ",B=" + meta.BounceOf
	}
	return key, nil
}

// metaOf reads the Meta a key carries.
func metaOf(key string) Meta {
	var m Meta
	for _, f := range strings.Split(key, ",")[1:] {
		switch {
		case strings.HasPrefix(f, "J="):
			m.Journey = f[2:]
		case strings.HasPrefix(f, "B="):
			m.BounceOf = f[2:]
		}
	}
	return m
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return i18n.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// List implements Store: messages other programs put in new/ are taken
// into cur/ first. Oldest first.
func (s *MaildirStore) List(owner Address) ([]MessageInfo, error) {
	d, err := s.dir(owner)
	if err != nil {
		return nil, err
	}
	if _, err := d.Unseen(); err != nil {
		return nil, i18n.Errorf("maildir %s: %w", d, err)
	}
	msgs, err := d.Messages()
	if err != nil {
		return nil, i18n.Errorf("maildir %s: %w", d, err)
	}
	type entry struct {
		info MessageInfo
		mod  int64
	}
	entries := make([]entry, 0, len(msgs))
	for _, m := range msgs {
		fi, err := os.Stat(m.Filename())
		if err != nil {
			continue // removed meanwhile
		}
		entries = append(entries, entry{MessageInfo{ID: m.Key(), Size: fi.Size(), Meta: metaOf(m.Key())}, fi.ModTime().UnixNano()})
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].mod != entries[j].mod {
			return entries[i].mod < entries[j].mod
		}
		return entries[i].info.ID < entries[j].info.ID
	})
	infos := make([]MessageInfo, len(entries))
	for i, e := range entries {
		infos[i] = e.info
	}
	return infos, nil
}

// Read implements Store.
func (s *MaildirStore) Read(owner Address, id string) ([]byte, error) {
	d, err := s.dir(owner)
	if err != nil {
		return nil, err
	}
	m, err := d.MessageByKey(id)
	if err != nil {
		return nil, i18n.Errorf("read %s in %s: %w", id, owner, ErrNoMessage)
	}
	r, err := m.Open()
	if err != nil {
		return nil, i18n.Errorf("read %s in %s: %w", id, owner, err)
	}
	defer r.Close()
	return io.ReadAll(r)
}

// Delete implements Store.
func (s *MaildirStore) Delete(owner Address, ids []string) error {
	d, err := s.dir(owner)
	if err != nil {
		return err
	}
	for _, id := range ids {
		m, err := d.MessageByKey(id)
		if err != nil {
			continue // already gone
		}
		if err := m.Remove(); err != nil && !os.IsNotExist(err) {
			return i18n.Errorf("delete %s in %s: %w", id, owner, err)
		}
	}
	return syncDir(filepath.Join(string(d), "cur"))
}
