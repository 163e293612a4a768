// Package reply is the catalogue of every status line maillab's servers
// send: SMTP replies (RFC 5321 section 4.2, with RFC 3463 enhanced status
// codes) and POP3 status lines (RFC 1939, with RFC 2449 response codes).
//
// Each reply is a named value with a Key. The servers send replies only
// from this catalogue, and Identify finds the key of a line read from a
// socket, so that notes are looked up by identity: rewording a reply here
// changes neither which reply a line is nor which note explains it.
package reply

import (
	"fmt"
	"strconv"
	"strings"
)

// Key names one reply of the catalogue, e.g. "smtp.queued" or "pop3.in-use".
type Key string

// SMTP is one reply the SMTP server can send: a three-digit code, an
// enhanced status code (RFC 3463; empty where RFC 2034 leaves it out: the
// greeting, the EHLO reply, 334 and 354) and a text, which may hold fmt
// verbs (%s, %d).
type SMTP struct {
	Key      Key
	Code     int
	Enhanced string
	Text     string
}

// Line renders the reply as one line, "250 2.1.5 recipient <x> OK", for
// args. Control characters in the result are replaced, so nothing a client
// sent can inject a line into a reply.
func (r SMTP) Line(args ...any) string {
	return r.Prefix(" ") + Fill(r.Text, args...)
}

// Prefix is the start of a reply line with separator sep (" " for the last
// line, "-" for the others): the code and the enhanced code.
func (r SMTP) Prefix(sep string) string {
	if r.Enhanced == "" {
		return strconv.Itoa(r.Code) + sep
	}
	return strconv.Itoa(r.Code) + sep + r.Enhanced + " "
}

// POP3 is one status line the POP3 server can send: +OK or -ERR, an
// optional response code (RFC 2449 section 8, e.g. "IN-USE") and a text.
// For lists the commands it answers (their verbs), so that two replies of
// the same shape (STAT's "+OK 2 320" and LIST 1's "+OK 1 160") are told
// apart; empty means any command.
type POP3 struct {
	Key  Key
	OK   bool
	Code string
	Text string
	For  []string
	// Example is a command it answers, for tests and documentation; ""
	// for the greeting and for lines that answer no particular command.
	Example string
}

// Line renders the status line for args, with control characters replaced.
func (r POP3) Line(args ...any) string {
	line := "-ERR "
	if r.OK {
		line = "+OK "
	}
	if r.Code != "" {
		line += "[" + r.Code + "] "
	}
	return line + Fill(r.Text, args...)
}

// Fill formats text with args and replaces control characters in the
// result with '?', so that a reply is always exactly one line.
func Fill(format string, args ...any) string {
	text := format
	if len(args) > 0 {
		text = fmt.Sprintf(format, args...)
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, text)
}

// glob matches a reply text against a format: the fmt verbs stand for
// what they can print (%d digits, %s anything), the rest for itself.
type glob struct {
	literals []string // len(verbs)+1 pieces of literal text
	verbs    []byte   // 'd' or 's', between the literals
}

// pattern compiles a reply format into a glob.
func pattern(format string) glob {
	var g glob
	var lit strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i == len(format)-1 {
			lit.WriteByte(format[i])
			continue
		}
		i++
		if format[i] == '%' {
			lit.WriteByte('%')
			continue
		}
		g.literals = append(g.literals, lit.String())
		g.verbs = append(g.verbs, format[i])
		lit.Reset()
	}
	g.literals = append(g.literals, lit.String())
	return g
}

// MatchString reports whether text is what the format prints for some
// arguments. Each verb takes the shortest text that lets the next literal
// follow; the last literal must end the text.
func (g glob) MatchString(text string) bool {
	if !strings.HasPrefix(text, g.literals[0]) {
		return false
	}
	rest := text[len(g.literals[0]):]
	for i, verb := range g.verbs {
		next := g.literals[i+1]
		var arg string
		if i == len(g.verbs)-1 {
			if !strings.HasSuffix(rest, next) {
				return false
			}
			arg, rest = rest[:len(rest)-len(next)], ""
		} else {
			j := strings.Index(rest, next)
			if j < 0 {
				return false
			}
			arg, rest = rest[:j], rest[j+len(next):]
		}
		if verb == 'd' && !isNumber(arg) {
			return false
		}
	}
	return len(g.verbs) > 0 || rest == ""
}

func isNumber(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Known reports whether key names a reply of the catalogue.
func Known(key Key) bool {
	for _, r := range AllSMTP {
		if r.Key == key {
			return true
		}
	}
	for _, r := range AllPOP3 {
		if r.Key == key {
			return true
		}
	}
	return false
}

// SampleArgs returns an argument for every fmt verb in a reply's text (7
// for %d, "x@sina.com" for the others), to render any reply as the server
// could send it: for tests and documentation.
func SampleArgs(format string) []any {
	var args []any
	for i := 0; i < len(format)-1; i++ {
		if format[i] != '%' {
			continue
		}
		switch format[i+1] {
		case 'd':
			args = append(args, 7)
		case '%':
		default:
			args = append(args, "x@sina.com")
		}
		i++
	}
	return args
}
