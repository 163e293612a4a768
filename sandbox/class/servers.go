package class

import (
	"encoding/csv"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"maillab/trace"
	"maillab/trace/i18n"
)

// ServerCheck is maillab check's result on one student's server: a row
// of the teacher's "servers" sheet.
type ServerCheck struct {
	Student  string    `json:"student"`
	Proto    string    `json:"proto"` // smtp or pop3
	Addr     string    `json:"addr"`  // host:port, as the teacher typed it
	Strict   bool      `json:"strict"`
	Running  bool      `json:"running"`
	When     time.Time `json:"when"`
	OK       bool      `json:"ok"` // no required case failed
	Required int       `json:"required"`
	Passed   int       `json:"passed"` // required cases passed
	Failed   []string  `json:"failed"` // the cases that failed
	Warned   []string  `json:"warned"` // the strict cases that warned
	Skipped  int       `json:"skipped"`
	Error    string    `json:"error,omitempty"` // why it could not be checked at all
}

// Servers keeps the latest check of each student's server, by student,
// protocol and address.
type Servers struct {
	mu   sync.Mutex
	rows map[string]*ServerCheck
}

// maxServerChecks bounds the sheet: a teacher types these one by one.
const maxServerChecks = 2000

// NewServers returns an empty sheet.
func NewServers() *Servers { return &Servers{rows: map[string]*ServerCheck{}} }

func serverKey(c ServerCheck) string {
	return strings.ToLower(c.Student) + "\x00" + c.Proto + "\x00" + strings.ToLower(c.Addr)
}

// Why a check cannot begin.
var (
	ErrChecking  = i18n.NewError("that server is being checked already")
	ErrSheetFull = i18n.NewError("the servers sheet is full")
)

// Begin records a check under way, replacing the last of the same
// student, protocol and address, unless one is under way already or the
// sheet is full: one decision, under one lock.
func (s *Servers) Begin(c ServerCheck) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := serverKey(c)
	old, ok := s.rows[key]
	switch {
	case ok && old.Running:
		return ErrChecking
	case !ok && len(s.rows) >= maxServerChecks:
		return ErrSheetFull
	}
	c.Running = true
	s.rows[key] = &c
	return nil
}

// Finish records a check's result in place of its running row.
func (s *Servers) Finish(c ServerCheck) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.Running = false
	s.rows[serverKey(c)] = &c
}

// All returns the rows, by student, then protocol and address.
func (s *Servers) All() []ServerCheck {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ServerCheck, 0, len(s.rows))
	for _, c := range s.rows {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return serverKey(out[i]) < serverKey(out[j]) })
	return out
}

// WriteCSV writes the sheet, a row per student's server, its words in
// p's language.
func (s *Servers) WriteCSV(w io.Writer, p *i18n.Printer) error {
	out := csv.NewWriter(w)
	out.Write([]string{p.Tr("student"), p.Tr("protocol"), p.Tr("address"), p.Tr("when"), p.Tr("result"),
		p.Tr("required cases passed"), p.Tr("failed cases"), p.Tr("warnings (strict)"), p.Tr("skipped")})
	for _, c := range s.All() {
		result := p.Tr("passed")
		switch {
		case c.Running:
			result = p.Tr("running")
		case c.Error != "":
			result = c.Error
		case !c.OK:
			result = p.Tr("failed")
		}
		out.Write([]string{trace.CSVCell(c.Student), c.Proto, trace.CSVCell(c.Addr), c.When.Format(time.RFC3339), trace.CSVCell(result),
			strconv.Itoa(c.Passed) + "/" + strconv.Itoa(c.Required), strings.Join(c.Failed, " "), strings.Join(c.Warned, " "), strconv.Itoa(c.Skipped)})
	}
	out.Flush()
	if err := out.Error(); err != nil {
		return i18n.Errorf("writing the servers sheet: %w", err)
	}
	return nil
}
