package proto

import "strings"

// Glob matches a reply's text against the format it was made from: the
// fmt verbs stand for what they can print (%d digits, %s anything), the
// rest for itself. The catalogues use it to find which reply a line read
// from a socket is.
type Glob struct {
	literals []string // len(verbs)+1 pieces of literal text
	verbs    []byte   // 'd' or 's', between the literals
}

// Pattern compiles a reply format into a Glob.
func Pattern(format string) Glob {
	var g Glob
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
func (g Glob) MatchString(text string) bool {
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
