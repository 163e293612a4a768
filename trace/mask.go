package trace

import (
	"strings"
	"sync"
)

// hidden stands for a secret on the shared page.
const hidden = "••••••"

// hiddenNote explains a hidden line.
const hiddenNote = "a student's login, hidden on the shared page (the teacher's view shows it)"

// Masker hides students' secrets from a stream shown to the whole class:
// the answers to AUTH LOGIN, AUTH PLAIN blobs and POP3 PASS arguments, with
// the notes that decode them. Logins of demo accounts stay visible,
// because decoding Z2FjbA== is the lesson. It follows each session as the
// Annotator does, and is safe for concurrent use.
type Masker struct {
	// Public reports whether the secrets of a login name at a server may
	// be shown (a demo account's); anything else is hidden.
	Public func(name, server string) bool

	mu       sync.Mutex
	sessions map[string]*masking
}

// masking is what the Masker remembers of one session.
type masking struct {
	answers int    // AUTH answers still to come
	plain   bool   // the next answer is an AUTH PLAIN blob
	user    string // the name given (AUTH LOGIN's first answer, POP3 USER)
}

// Mask hides e's line and note when they carry a student's secret. Call it
// after the Annotator, which reads the secrets to explain them.
func (m *Masker) Mask(e *Event) {
	if e.Proto == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	key := e.Session + "|" + e.Proto + "|" + e.Client() + "|" + e.Server()
	if e.Action == Closed {
		delete(m.sessions, key)
		return
	}
	if m.sessions == nil {
		m.sessions = map[string]*masking{}
	}
	s := m.sessions[key]
	if s == nil {
		if len(m.sessions) >= maxConversations {
			clear(m.sessions)
		}
		s = &masking{}
		m.sessions[key] = s
	}
	if e.Dir == FromServer {
		if e.Status != "334" {
			s.answers, s.plain = 0, false
		}
		return
	}
	if e.Kind != Command || e.Account != "" {
		return
	}
	if e.Proto == POP3 {
		m.pop3(s, e)
	} else {
		m.smtp(s, e)
	}
}

func (m *Masker) smtp(s *masking, e *Event) {
	if s.answers > 0 {
		s.answers--
		name := s.user
		if s.plain {
			name = plainUser(e.Line)
		} else if s.user == "" {
			name, _ = base64Text(strings.TrimSpace(e.Line))
			s.user = name
		}
		m.hide(e, hidden, name)
		return
	}
	verb, arg, _ := strings.Cut(strings.TrimSpace(e.Line), " ")
	if !strings.EqualFold(verb, "AUTH") {
		return
	}
	mech, initial, _ := strings.Cut(strings.TrimSpace(arg), " ")
	s.user, s.plain = "", false
	switch {
	case strings.EqualFold(mech, "LOGIN") && initial == "":
		s.answers = 2
	case strings.EqualFold(mech, "LOGIN"):
		s.answers = 1
		s.user, _ = base64Text(initial)
		m.hide(e, "AUTH LOGIN "+hidden, s.user)
	case strings.EqualFold(mech, "PLAIN") && initial == "":
		s.answers, s.plain = 1, true
	case strings.EqualFold(mech, "PLAIN"):
		m.hide(e, "AUTH PLAIN "+hidden, plainUser(initial))
	}
}

func (m *Masker) pop3(s *masking, e *Event) {
	verb, arg, _ := strings.Cut(strings.TrimSpace(e.Line), " ")
	switch strings.ToUpper(verb) {
	case "USER":
		s.user = strings.TrimSpace(arg)
	case "PASS":
		m.hide(e, "PASS "+hidden, s.user)
	}
}

// hide replaces e's line and note unless name's secrets are public.
func (m *Masker) hide(e *Event, line, name string) {
	if name != "" && m.Public != nil && m.Public(name, e.Server()) {
		return
	}
	e.Line, e.Note = line, hiddenNote
}

// plainUser is the user name in an AUTH PLAIN blob, or "".
func plainUser(b64 string) string {
	s, ok := base64Text(strings.TrimSpace(b64))
	if !ok {
		return ""
	}
	f := strings.Split(s, "\x00")
	if len(f) != 3 {
		return ""
	}
	return f[1]
}
