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
	"syscall"
	"time"

	"maillab/trace/i18n"

	"github.com/emersion/go-maildir"
)

// MaildirStore keeps mailboxes on disk as Maildir folders,
// DIR/<domain>/<user>/{tmp,new,cur}. A message is written to tmp, synced to
// disk, then renamed into new (as every Maildir delivery does, so mail
// programs reading the folder see it as new): it is on disk before
// Deliver returns (and so before the server says 250). Listing a mailbox
// (a POP3 login) moves what is in new to cur: it has been seen.
//
// Nothing there is trusted blindly: symbolic links are never followed,
// only regular files are read, and a file is read up to maxStoredMessage.
type MaildirStore struct {
	root   string
	noSync bool // a store nothing promises to keep across a crash
	mu     sync.Mutex
	init   map[string]bool // mailbox folders checked
	// usage is each mailbox's octets, counted once from its folder and
	// kept up to date by Deliver and Delete: a quota check per message
	// must not list the whole mailbox (thousands of files, every time).
	usage map[string]int64 // by mailbox folder
}

// maxStoredMessage bounds what is read of one stored file: far above any
// message the servers accept, far below what would hurt.
const maxStoredMessage = 64 << 20

// NewMaildirStore opens (and creates) the Maildir tree under root.
func NewMaildirStore(root string) (*MaildirStore, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, i18n.Errorf("maildir %s: %w", root, err)
	}
	return &MaildirStore{root: root, init: map[string]bool{}, usage: map[string]int64{}}, nil
}

// NewScratchStore is a Maildir store in a new temporary folder, without
// fsync: it keeps messages out of memory for a sandbox that promises
// nothing across a restart. Remove deletes it.
func NewScratchStore() (*MaildirStore, error) {
	dir, err := os.MkdirTemp("", "maillab-mail-")
	if err != nil {
		return nil, i18n.Errorf("a folder for the mailboxes: %w", err)
	}
	s, err := NewMaildirStore(dir)
	if err != nil {
		return nil, err
	}
	s.noSync = true
	return s, nil
}

// Remove deletes the whole store (a scratch store, when the sandbox ends).
func (s *MaildirStore) Remove() error { return os.RemoveAll(s.root) }

// dir returns owner's Maildir, creating it on first use; every folder on
// the way must be a real folder, not a link to somewhere else.
func (s *MaildirStore) dir(owner Address) (maildir.Dir, error) {
	if owner.Local == "" || strings.ContainsAny(owner.Local+owner.Domain, "/\\") || strings.HasPrefix(owner.Local, ".") {
		return "", i18n.Errorf("maildir: no mailbox for %q", owner.String())
	}
	d := maildir.Dir(filepath.Join(s.root, owner.Domain, owner.Local))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.init[string(d)] {
		return d, nil
	}
	if err := os.MkdirAll(filepath.Dir(string(d)), 0o700); err != nil {
		return "", err
	}
	if err := d.Init(); err != nil {
		return "", i18n.Errorf("maildir %s: %w", d, err)
	}
	for _, sub := range []string{filepath.Join(s.root, owner.Domain), string(d), filepath.Join(string(d), "tmp"), filepath.Join(string(d), "new"), filepath.Join(string(d), "cur")} {
		if fi, err := os.Lstat(sub); err != nil || !fi.IsDir() {
			return "", i18n.Errorf("maildir %s: not a folder (a link, or a file): refused", sub)
		}
	}
	s.init[string(d)] = true
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
	if err := writeNew(tmp, data, !s.noSync); err != nil {
		os.Remove(tmp)
		return "", i18n.Errorf("maildir %s: %w", d, err)
	}
	if err := os.Rename(tmp, filepath.Join(string(d), "new", key)); err != nil {
		os.Remove(tmp)
		return "", i18n.Errorf("maildir %s: %w", d, err)
	}
	if !s.noSync {
		if err := syncDir(filepath.Join(string(d), "new")); err != nil {
			return "", err
		}
	}
	s.grow(string(d), int64(len(data)))
	return key, nil
}

// grow changes a mailbox's usage, once it has been counted.
func (s *MaildirStore) grow(d string, by int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n, ok := s.usage[d]; ok {
		s.usage[d] = max(n+by, 0)
	}
}

// writeNew writes a new file (never through a link) and, with sync, syncs
// it to disk.
func writeNew(name string, data []byte, sync bool) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if sync {
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// maildirSeq makes keys delivered in the same second by this process
// unique.
var maildirSeq atomic.Uint64

// newMaildirKey is a Maildir unique name (time to the microsecond, a
// counter, the process, random, host part "maillab": keys sort in
// delivery order) followed by the message's Meta.
func newMaildirKey(meta Meta) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	now := time.Now()
	key := fmt.Sprintf("%d.M%06dQ%08dP%dR%x.maillab", now.Unix(), now.Nanosecond()/1000, maildirSeq.Add(1)%1e8, os.Getpid(), b)
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
		fi, err := os.Lstat(m.Filename())
		if err != nil || !fi.Mode().IsRegular() {
			continue // removed meanwhile, or a link: never followed
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
	return readRegular(m.Filename())
}

// readRegular reads a regular file, never through a link, up to
// maxStoredMessage octets.
func readRegular(name string) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, i18n.Errorf("read %s: %w", filepath.Base(name), err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, i18n.Errorf("read %s: not a regular file: refused", filepath.Base(name))
	}
	if fi.Size() > maxStoredMessage {
		return nil, i18n.Errorf("read %s: %d octets, more than a message can be", filepath.Base(name), fi.Size())
	}
	return io.ReadAll(io.LimitReader(f, maxStoredMessage))
}

// Usage implements Store: the octets of the regular files in new and cur.
func (s *MaildirStore) Usage(owner Address) (int64, error) {
	d, err := s.dir(owner)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	n, ok := s.usage[string(d)]
	s.mu.Unlock()
	if ok {
		return n, nil
	}
	n, err = countUsage(d)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if kept, ok := s.usage[string(d)]; ok {
		return kept, nil // counted meanwhile, and kept up to date since
	}
	s.usage[string(d)] = n
	return n, nil
}

// countUsage adds up the sizes of a mailbox's messages.
func countUsage(d maildir.Dir) (int64, error) {
	var total int64
	for _, sub := range []string{"new", "cur"} {
		entries, err := os.ReadDir(filepath.Join(string(d), sub))
		if err != nil {
			return 0, err
		}
		for _, e := range entries {
			if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
				total += fi.Size()
			}
		}
	}
	return total, nil
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
		var size int64
		if fi, err := os.Lstat(m.Filename()); err == nil {
			size = fi.Size()
		}
		if err := m.Remove(); err != nil && !os.IsNotExist(err) {
			return i18n.Errorf("delete %s in %s: %w", id, owner, err)
		}
		s.grow(string(d), -size)
	}
	if s.noSync {
		return nil
	}
	return syncDir(filepath.Join(string(d), "cur"))
}
