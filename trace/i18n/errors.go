package i18n

import (
	"regexp"
	"sort"
	"strings"
	"sync"
)

// TranslateError writes err's message in p's language. maillab's own
// errors (Errorf, NewError) carry their format and arguments and are put
// into words here, wrapped errors included. Errors of other libraries
// (the standard library, cobra, pflag) come as English text: their
// message is matched against the formats Foreign lists, and each part of
// a wrapped chain ("outer: inner") rewritten; what no format matches stays
// as it is.
func TranslateError(p *Printer, err error) string {
	if err == nil {
		return ""
	}
	if l, ok := err.(Localizer); ok {
		return l.In(p)
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok && isJoin(err) {
		var lines []string
		for _, e := range joined.Unwrap() {
			lines = append(lines, TranslateError(p, e))
		}
		return strings.Join(lines, "\n")
	}
	return p.Translate(err.Error())
}

// isJoin reports whether err is errors.Join's: its message is its errors'
// lines, nothing more.
func isJoin(err error) bool {
	var parts []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		parts = append(parts, e.Error())
	}
	return err.Error() == strings.Join(parts, "\n")
}

// Translate rewrites a message of another library, made in English from
// the Foreign formats, in p's language, as TranslateError does.
func (p *Printer) Translate(msg string) string {
	if !p.Translates() {
		return msg
	}
	return p.translateMessage(msg, 0)
}

// Foreign are the formats of errors other libraries give (cobra, pflag,
// the standard library), the only texts ever matched back from English.
var Foreign = []string{
	N("unknown flag: %s"),
	N("unknown shorthand flag: %q in %s"),
	N("flag needs an argument: %s"),
	N("flag needs an argument: %q in -%s"),
	N("invalid argument %q for %q flag: %v"),
	N("unknown command %q for %q%s"),
	N("\n\nDid you mean this?\n\t%v\n"),
	N("accepts at most %d arg(s), received %d"),
	N("accepts %d arg(s), received %d"),
	N("requires at least %d arg(s), only received %d"),
	N("unknown command %q for %q"),
	N("invalid argument %q for %q"),
	N("time: invalid duration %q"),
	N("strconv.ParseInt: parsing %q: invalid syntax"),
	N("strconv.ParseBool: parsing %q: invalid syntax"),
	N("open %s: %s"),
	N("no such file or directory"),
	N("permission denied"),
	N("is a directory"),
	N("connection refused"),
	N("address already in use"),
}

// translateMessage rewrites one message, its arguments in turn.
func (p *Printer) translateMessage(msg string, depth int) string {
	if depth > 8 {
		return msg
	}
	dict := p.dict()
	if t, ok := dict[msg]; ok && !strings.Contains(msg, "%") {
		return t
	}
	for _, f := range foreignFormats() {
		m := f.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		t, ok := dict[f.en]
		if !ok {
			continue
		}
		args := make([]any, len(m)-1)
		for i, a := range m[1:] {
			if f.verbs[i] == 's' || f.verbs[i] == 'v' || f.verbs[i] == 'w' {
				a = p.translateMessage(a, depth+1)
			}
			args[i] = a
		}
		return sprintfStrings(t, args)
	}
	return msg
}

// format is a foreign format compiled to match the messages it makes.
type format struct {
	en    string
	re    *regexp.Regexp
	verbs []byte
	lits  int // how many literal characters: more is more specific
}

var (
	compiled     []format
	compiledOnce sync.Once
	verbRE       = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[svqdwx]`)
)

// foreignFormats compiles the Foreign formats, most specific first.
func foreignFormats() []format {
	compiledOnce.Do(func() {
		for _, en := range Foreign {
			if !verbRE.MatchString(en) {
				continue
			}
			if f, ok := compile(en); ok {
				compiled = append(compiled, f)
			}
		}
		sort.Slice(compiled, func(i, j int) bool { return compiled[i].lits > compiled[j].lits })
	})
	return compiled
}

func compile(en string) (format, bool) {
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
	return format{en: en, re: re, verbs: verbs, lits: lits}, true
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
