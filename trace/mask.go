package trace

import (
	"strings"

	"maillab/trace/i18n"
	"maillab/trace/proto"
)

// hidden stands for a secret on the shared page.
const hidden = "••••••"

// hiddenNote explains a hidden line; refusedNote a hidden refusal.
var (
	hiddenNote  = i18n.N("a login, hidden on the shared page (the teacher's view shows it)")
	refusedNote = i18n.N("the login was refused; the server's words are hidden on the shared page, as they may repeat what was typed (the teacher's view shows them)")
)

// Masker hides students' secrets from a stream shown to the whole class.
// The protocol's Follower marks every line that carries (or may carry) a
// secret: answers to AUTH challenges, AUTH PLAIN blobs, PASS arguments,
// and any line that follows a login gone wrong until the server's next
// answer (a password typed where a command was expected). Such a line is
// hidden, with the note that decodes it, unless the account it claims is
// a demo account, because decoding Z2FjbA== is the lesson: a line whose
// account is unknown is hidden (masking fails closed). The Masker keeps
// nothing between lines.
type Masker struct {
	// Public reports whether the secrets of a login name at a server may
	// be shown (a demo account's); anything else is hidden.
	Public func(name, server string) bool
	// Known reports whether a name claimed at a server is an account
	// there; any other claimed name is hidden (a password typed where the
	// user name goes).
	Known func(name, server string) bool
	// Lang is the language of the note on a hidden line; nil: English.
	Lang *i18n.Printer
}

// Mask hides e's line and note when they carry a secret that is not a
// demo account's. Call it after the Annotator, which reads the secrets to
// explain them.
func (m *Masker) Mask(e *Event) {
	claimed := e.Claimed
	unknown := claimed != "" && (m.Known == nil || !m.Known(claimed, e.Server()))
	if unknown {
		e.Claimed = "" // not an account's name: maybe a password typed where the name goes
	}
	// a line that repeats a name that is no account ("USER 078572", the
	// answer that names it) is hidden too: that name may be a password
	named := claimed
	if named == "" && e.Kind == Reply && e.Verb == "USER" {
		named, _, _ = strings.Cut(proto.Arg(e.Answers), " ")
		unknown = named != "" && (m.Known == nil || !m.Known(named, e.Server()))
	}
	repeats := unknown && strings.Contains(e.Line, named)
	if !e.Secret && !repeats || !repeats && claimed != "" && m.Public != nil && m.Public(claimed, e.Server()) {
		return
	}
	if e.Verb != "AUTH" && e.Verb != "PASS" && e.Verb != "USER" {
		e.Verb = "" // the "verb" of a line that is no command may be a password
	}
	note := hiddenNote
	if e.Kind == Reply && proto.Refused(e.Status) {
		note = refusedNote
	}
	e.Line, e.Note = hiddenLine(e), i18n.Or(m.Lang).Tr(note)
}

// hiddenLine is a secret line as the class sees it: the command's verb,
// or a reply's codes, stay, so the class can follow the exchange.
func hiddenLine(e *Event) string {
	if e.Kind == Reply {
		return replyCodes(e.Line) + hidden
	}
	switch e.Verb {
	case "AUTH":
		mech, _, _ := strings.Cut(strings.TrimSpace(e.Line[min(len(e.Line), 5):]), " ")
		if isMechanism(mech) {
			return "AUTH " + strings.ToUpper(mech) + " " + hidden
		}
		return "AUTH " + hidden
	case "PASS", "USER":
		return e.Verb + " " + hidden
	}
	return hidden
}

// isMechanism reports whether s is a SASL mechanism's name (RFC 4422:
// upper-case letters, digits, '-' and '_'), so it can be shown.
func isMechanism(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, r := range strings.ToUpper(s) {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// replyCodes is the start of a reply line up to its text: "500 5.5.1 ",
// "-ERR [AUTH] ".
func replyCodes(line string) string {
	fields := strings.Fields(line)
	out := ""
	for i, f := range fields {
		if i > 1 || !(i == 0 || strings.Count(f, ".") == 2 || strings.HasPrefix(f, "[")) {
			break
		}
		out += f + " "
	}
	return out
}
