// Package roster is a class's accounts: generated for N students (s01 to
// sNN, each with a random six-digit password, in every domain of the
// world) or loaded from a teacher's CSV file (account,domain,password),
// and kept as CSV so that a restarted sandbox keeps the same passwords.
package roster

import (
	"bufio"
	"crypto/rand"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"maillab/trace/i18n"
)

// Entry is one account at one domain.
type Entry struct {
	Account  string // the local part, e.g. "s07" or "zhangsan"
	Domain   string // e.g. "sohu.com"
	Password string
}

// Address is account@domain.
func (e Entry) Address() string { return e.Account + "@" + e.Domain }

// Header is the first line of a roster file.
var Header = []string{"account", "domain", "password"}

// accountName is what a student's account may be called: letters,
// digits, dot, dash and underscore, starting with a letter or digit.
var accountName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Generate makes accounts s01 to sNN (s001... beyond 99) in each domain;
// a student has one password, the same at every domain. Passwords already
// in keep (a roster kept from before) are kept.
func Generate(n int, domains []string, keep []Entry) ([]Entry, error) {
	if n < 1 || n > 999 {
		return nil, i18n.Errorf("--students %d: give 1 to 999", n)
	}
	kept := map[string]string{}
	for _, e := range keep {
		kept[strings.ToLower(e.Account)] = e.Password
	}
	digits := 2
	if n > 99 {
		digits = 3
	}
	var out []Entry
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("s%0*d", digits, i)
		password, ok := kept[name]
		if !ok {
			var err error
			if password, err = NewPassword(); err != nil {
				return nil, err
			}
		}
		for _, d := range domains {
			out = append(out, Entry{Account: name, Domain: d, Password: password})
		}
	}
	return out, nil
}

// NewPassword is six random digits.
func NewPassword() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", i18n.Errorf("a random password: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// Read reads a roster from CSV: a header line (optional), then one
// account,domain,password per line. Every bad line is reported, with its
// number; domains must be among known.
func Read(r io.Reader, name string, known []string) ([]Entry, error) {
	br := bufio.NewReader(r)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\ufeff" {
		br.Discard(3) // a UTF-8 byte order mark, as spreadsheets save CSV
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	var out []Entry
	var problems []error
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			problems = append(problems, i18n.Errorf("%s:%d: %w", name, line, err))
			break
		}
		if len(out) == 0 && len(problems) == 0 && strings.EqualFold(strings.TrimSpace(rec[0]), Header[0]) {
			continue
		}
		e, err := entry(rec, known)
		if err == nil {
			key := strings.ToLower(e.Address())
			if first, dup := seen[key]; dup {
				err = i18n.Errorf("%s appears twice (first on line %d)", e.Address(), first)
			}
			seen[key] = line
		}
		if err != nil {
			problems = append(problems, i18n.Errorf("%s:%d: %w", name, line, err))
			continue
		}
		out = append(out, e)
	}
	if len(out) == 0 && len(problems) == 0 {
		problems = append(problems, i18n.Errorf("%s: no accounts (write one account,domain,password per line)", name))
	}
	return out, errors.Join(problems...)
}

// entry checks one record.
func entry(rec []string, known []string) (Entry, error) {
	if len(rec) != 3 {
		return Entry{}, i18n.Errorf("%d fields; write account,domain,password", len(rec))
	}
	e := Entry{Account: strings.TrimSpace(rec[0]), Domain: strings.ToLower(strings.TrimSpace(rec[1])), Password: strings.TrimSpace(rec[2])}
	switch {
	case !accountName.MatchString(e.Account):
		return e, i18n.Errorf("account %q: use letters, digits, '.', '-' or '_' (up to 64)", e.Account)
	case !contains(known, e.Domain):
		return e, i18n.Errorf("domain %q: not a sandbox domain (%s)", e.Domain, strings.Join(known, ", "))
	case e.Password == "" || strings.ContainsAny(e.Password, " \t"):
		return e, i18n.Errorf("%s: the password must be one word", e.Address())
	case strings.ContainsFunc(e.Password, unicode.IsControl) || !utf8.ValidString(e.Password):
		return e, i18n.Errorf("%s: the password holds a control character (it would reach a terminal raw)", e.Address())
	}
	return e, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// maxRoster bounds a roster file: thousands of students fit in far less.
const maxRoster = 1 << 20

// Load reads a roster file: a regular file of at most maxRoster octets
// (not /dev/zero, a pipe or a folder).
func Load(file string, known []string) ([]Entry, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, i18n.Errorf("--accounts: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil, i18n.Errorf("--accounts: %w", err)
	case !fi.Mode().IsRegular():
		return nil, i18n.Errorf("--accounts %s: not a regular file", file)
	case fi.Size() > maxRoster:
		return nil, i18n.Errorf("--accounts %s: %d octets; a roster is at most %d", file, fi.Size(), maxRoster)
	}
	return Read(io.LimitReader(f, maxRoster), file, known)
}

// Save writes a roster as CSV, readable only by its owner (it holds
// passwords), via a temporary file.
func Save(file string, entries []Entry) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	tmp := file + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return i18n.Errorf("roster %s: %w", file, err)
	}
	w := csv.NewWriter(f)
	w.Write(Header)
	for _, e := range entries {
		w.Write([]string{e.Account, e.Domain, e.Password})
	}
	w.Flush()
	if err := errors.Join(w.Error(), f.Close()); err != nil {
		return i18n.Errorf("roster %s: %w", file, err)
	}
	return os.Rename(tmp, file)
}

// Options say where a class's roster comes from.
type Options struct {
	Students int      // generate s01..sNN
	Accounts string   // or load this CSV file
	KeepDir  string   // keep the roster in DIR/roster.csv (a --maildir), reused on restart
	Domains  []string // the world's domains
}

// Class returns the class's roster, or nil when there is no class. A
// roster kept in KeepDir is reused: with Students, its passwords stay;
// with neither Students nor Accounts, it is the class. The result is kept
// there again.
func Class(o Options) ([]Entry, error) {
	if o.Students > 0 && o.Accounts != "" {
		return nil, i18n.Errorf("give --students or --accounts, not both")
	}
	var kept []Entry
	keepFile := ""
	if o.KeepDir != "" {
		keepFile = filepath.Join(o.KeepDir, "roster.csv")
		if _, err := os.Stat(keepFile); err == nil {
			var err error
			if kept, err = Load(keepFile, o.Domains); err != nil {
				return nil, err
			}
		}
	}
	var entries []Entry
	var err error
	switch {
	case o.Accounts != "":
		entries, err = Load(o.Accounts, o.Domains)
	case o.Students > 0:
		entries, err = Generate(o.Students, o.Domains, kept)
	default:
		entries = kept
	}
	if err != nil || len(entries) == 0 {
		return nil, err
	}
	if keepFile != "" {
		if err := Save(keepFile, entries); err != nil {
			return nil, err
		}
	}
	return entries, nil
}
