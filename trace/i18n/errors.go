package i18n

import (
	"regexp"
	"sort"
	"strings"
	"sync"
)

// TranslateError writes err's message in p's language. Errors are made
// deep in the packages with English formats (fmt.Errorf), which are the
// catalogue's keys: a message is matched against those formats, and each
// part of a wrapped chain ("outer: inner") is rewritten with its
// translation. What no format matches stays as it is.
func TranslateError(p *Printer, err error) string {
	if err == nil {
		return ""
	}
	return p.Translate(err.Error())
}

// Translate rewrites a message made in English from catalogue formats
// (an error's, a warning's, a decoding step's) in p's language, as
// TranslateError does.
func (p *Printer) Translate(msg string) string {
	if !p.Chinese() {
		return msg
	}
	return translateMessage(msg, 0)
}

// translateMessage rewrites one message, its arguments in turn.
func translateMessage(msg string, depth int) string {
	if depth > 8 {
		return msg
	}
	if t, ok := zh[msg]; ok && !strings.Contains(msg, "%") {
		return t
	}
	for _, f := range formats() {
		m := f.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		args := make([]any, len(m)-1)
		for i, a := range m[1:] {
			if f.verbs[i] == 's' || f.verbs[i] == 'v' || f.verbs[i] == 'w' {
				a = translateMessage(a, depth+1)
			}
			args[i] = a
		}
		return sprintfStrings(f.zh, args)
	}
	return msg
}

// format is a catalogue format compiled to match the messages it makes.
type format struct {
	re    *regexp.Regexp
	verbs []byte
	zh    string
	lits  int // how many literal characters: more is more specific
}

var (
	compiled     []format
	compiledOnce sync.Once
	verbRE       = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[svqdwx]`)
)

// formats compiles every catalogue key with verbs, most specific first.
func formats() []format {
	compiledOnce.Do(func() {
		for en, t := range zh {
			if !verbRE.MatchString(en) {
				continue
			}
			if f, ok := compile(en, t); ok {
				compiled = append(compiled, f)
			}
		}
		sort.Slice(compiled, func(i, j int) bool { return compiled[i].lits > compiled[j].lits })
	})
	return compiled
}

func compile(en, t string) (format, bool) {
	var pattern strings.Builder
	var verbs []byte
	lits := 0
	last := 0
	pattern.WriteString("(?s)^") // a message may span lines
	for _, loc := range verbRE.FindAllStringIndex(en, -1) {
		lit := strings.ReplaceAll(en[last:loc[0]], "%%", "%")
		pattern.WriteString(regexp.QuoteMeta(lit))
		lits += len(lit)
		verb := en[loc[1]-1]
		verbs = append(verbs, verb)
		switch verb {
		case 'd':
			pattern.WriteString(`(-?[\d,]+)`)
		case 'q':
			pattern.WriteString(`("(?:[^"\\]|\\.)*")`)
		default:
			pattern.WriteString(`(.+?)`)
		}
		last = loc[1]
	}
	lit := strings.ReplaceAll(en[last:], "%%", "%")
	pattern.WriteString(regexp.QuoteMeta(lit) + "$")
	lits += len(lit)
	re, err := regexp.Compile(pattern.String())
	if err != nil {
		return format{}, false
	}
	return format{re: re, verbs: verbs, zh: t, lits: lits}, true
}

// sprintfStrings fills a translated format's verbs (in any order, %[n]s
// included) with the matched texts, as they were.
func sprintfStrings(t string, args []any) string {
	var b strings.Builder
	next, last := 0, 0
	for _, loc := range verbRE.FindAllStringSubmatchIndex(t, -1) {
		b.WriteString(strings.ReplaceAll(t[last:loc[0]], "%%", "%"))
		i := next
		if loc[2] >= 0 { // %[n]
			n := 0
			for _, c := range t[loc[2]+1 : loc[3]-1] {
				n = n*10 + int(c-'0')
			}
			i = n - 1
		}
		if i >= 0 && i < len(args) {
			b.WriteString(args[i].(string))
		}
		next = i + 1
		last = loc[1]
	}
	b.WriteString(strings.ReplaceAll(t[last:], "%%", "%"))
	return b.String()
}
