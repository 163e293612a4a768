package web

import (
	"sort"
	"strings"
	"sync"
	"time"

	"maillab/sandbox"
	"maillab/trace"
	"maillab/trace/proto/pop3"
	"maillab/trace/proto/smtp"
)

// Student is one row of the teacher's table.
type Student struct {
	Account     string    `json:"account"` // user@domain
	Student     bool      `json:"student"` // a class account (not a demo one)
	Sessions    int       `json:"sessions"`
	Sent        int       `json:"sent"`
	Received    int       `json:"received"`
	LastCommand string    `json:"last_command,omitempty"`
	LastReply   string    `json:"last_reply,omitempty"`
	LastError   bool      `json:"last_error"` // the last reply was a 4xx, 5xx or -ERR
	Passed      []string  `json:"passed,omitempty"`
	LastSeen    time.Time `json:"last_seen,omitempty"`
}

// class follows what each account does, from the events: sessions logged
// in, messages sent and received, the last command and reply, and the
// exercises the student reported passed.
type class struct {
	mu    sync.Mutex
	world *sandbox.World
	rows  map[string]*Student
}

func newClass(w *sandbox.World) *class {
	c := &class{world: w, rows: map[string]*Student{}}
	for _, p := range w.Providers {
		for _, u := range p.Users() {
			if p.Students[u] {
				c.row(u + "@" + p.Domain)
			}
		}
	}
	return c
}

// row returns an account's row, making it.
func (c *class) row(account string) *Student {
	r := c.rows[account]
	if r == nil {
		a, _ := sandbox.ParseAddress(account)
		r = &Student{Account: account, Student: c.world.IsStudent(a)}
		c.rows[account] = r
	}
	return r
}

// observe updates the table from one event (unmasked).
func (c *class) observe(e trace.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.Action == trace.Stored && e.Facts != nil {
		c.row(e.Facts.Mailbox).Received++
		return
	}
	if e.Account == "" || e.Kind == trace.Internal {
		return
	}
	r := c.row(e.Account)
	r.LastSeen = e.Time
	switch {
	case e.Dir == trace.FromClient && e.Kind == trace.Command:
		r.LastCommand = e.Line
	case e.Dir == trace.FromServer && e.Kind == trace.Reply:
		r.LastReply = e.Line
		r.LastError = strings.HasPrefix(e.Status, "4") || strings.HasPrefix(e.Status, "5") || e.Status == "-ERR"
		switch e.Reply {
		case smtp.AuthOK.Key, pop3.LoggedIn.Key:
			r.Sessions++
		case smtp.Queued.Key:
			r.Sent++
		}
	}
}

// passed records an exercise a student reported passing.
func (c *class) passed(account, exercise string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.row(account)
	for _, p := range r.Passed {
		if p == exercise {
			return
		}
	}
	r.Passed = append(r.Passed, exercise)
	sort.Strings(r.Passed)
}

// resetProgress forgets the exercises an account passed.
func (c *class) resetProgress(account string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.row(account).Passed = nil
}

// table returns the rows, students first, by account.
func (c *class) table() []Student {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Student, 0, len(c.rows))
	for _, r := range c.rows {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Student != out[j].Student {
			return out[i].Student
		}
		return out[i].Account < out[j].Account
	})
	return out
}
