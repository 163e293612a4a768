// Package lessons holds maillab's lessons and the runner that plays them:
// explanations, live demos against an embedded sandbox, and exercises
// checked from what the servers really answered.
//
// A lesson is a Markdown file (see README.md in this folder for teachers):
// a "# Title", paragraphs of explanation, and fenced blocks that say what
// to run: ```demo, ```play, ```decode and ```exercise.
package lessons

import (
	"bufio"
	"embed"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"maillab/trace/i18n"
)

//go:embed content
var embedded embed.FS

// Languages are the languages every built-in lesson is written in, each
// in content/LANG/ with the same exercises and checks (English first).
var Languages = func() []string {
	out := []string{"en"}
	entries, _ := embedded.ReadDir("content")
	for _, e := range entries {
		if e.IsDir() && e.Name() != "en" {
			out = append(out, e.Name())
		}
	}
	return out
}()

// Kind is what a step of a lesson does.
type Kind string

// The kinds of step.
const (
	Explain  Kind = "explain"  // paragraphs to read
	Demo     Kind = "demo"     // commands run against the sandbox, shown as a transcript
	Play     Kind = "play"     // the six steps, played one at a time
	Decode   Kind = "decode"   // payloads decoded, layer by layer
	Exercise Kind = "exercise" // the learner's turn
	Program  Kind = "program"  // a short mail program, run against the sandbox, its sessions and verdict shown
	Grade    Kind = "check"    // maillab check run against the sandbox's own server, the score shown
)

// Program languages: the runtimes a program block or a program
// exercise's solution can be written for.
var programLanguages = []string{"go", "python", "java"}

// Lesson is one lesson file.
type Lesson struct {
	Number int
	Title  string
	File   string // where it came from, for error messages
	Steps  []Step
}

// Step is one part of a lesson.
type Step struct {
	Kind   Kind
	Line   int    // line in the file where the step starts
	Text   string // Explain: the paragraphs
	Proto  string // Demo, Exercise: "smtp", "pop3" or (Exercise) "decode"
	Domain string // Demo, Exercise: the provider to talk to
	// Implicit is TLS from the first byte: the SMTPS or POP3S port
	// (written smtps, pop3s).
	Implicit bool
	// RequireTLS runs a demo on a sandbox that takes logins only inside
	// TLS (written require-tls after the protocol).
	RequireTLS bool
	// ForClass runs a demo, in class, a second time on the class sandbox
	// for the learner's own account (written class after the protocol):
	// for a demo that leaves mail an exercise then reads.
	ForClass bool
	// Language is a program's language (go, python, java): of a program
	// block, or of a program exercise's solution.
	Language string
	// Learner says what the learner brings to an exercise: "" (commands
	// typed at the prompt), "program" (a mail program of their own, its
	// sessions checked by the servers) or "server" (a server of their own,
	// graded by maillab check).
	Learner string
	Lines   []string // Demo: commands; Decode: payloads; Program: source code
	Params  map[string]string
	Ex      *ExerciseSpec
}

// Service names what a demo or an exercise talks to: SMTP, SMTPS, POP3
// or POP3S.
func (s Step) Service() string {
	name := strings.ToUpper(s.Proto)
	if s.Implicit {
		name += "S"
	}
	return name
}

// ExerciseSpec is an exercise: a goal, the checks that decide it, hints
// given after wrong tries, and a reference solution.
type ExerciseSpec struct {
	Goal     string
	Checks   []Check
	Hints    []string
	Solution []string
}

// Check is one condition on what the server answered or the state it
// reached.
type Check struct {
	Kind string   // ok, got, reply, state, delivered, sent, tls, answer, verdict, passes
	Args []string // e.g. ["RETR"], ["235"], ["bbb@sina.com", "hello"]
	Line int
}

// ParseError names the file and line of a broken lesson.
type ParseError struct {
	File string
	Line int
	Msg  i18n.Text
}

func (e *ParseError) Error() string { return e.In(i18n.EnglishPrinter) }

// In is the error in p's language.
func (e *ParseError) In(p *i18n.Printer) string {
	return i18n.T("%s:%d: %s", e.File, e.Line, e.Msg).In(p)
}

// fileNumber reads a lesson's number from its file name, e.g. "03-auth.md".
var fileNumber = regexp.MustCompile(`^(\d+)[-_].*\.md$`)

// Load returns the embedded English lessons plus those in dir: see LoadIn.
func Load(dir string) ([]*Lesson, error) { return LoadIn(dir, "en") }

// LoadIn returns the embedded lessons in lang (one of Languages; others
// read English) plus those in dir (if not empty), ordered by number. A
// teacher's dir holds lesson files for every language, or en/, zh/...
// folders of them (a lesson missing from lang's folder is taken from
// another, English first). Problems in dir's files are returned together,
// with every lesson that did load.
func LoadIn(dir, lang string) ([]*Lesson, error) {
	if !slices.Contains(Languages, lang) {
		lang = "en"
	}
	root := "content/" + lang
	lessons, err := loadFS(embedded, root, "lessons/"+root)
	if err != nil {
		return nil, err
	}
	var problems error
	if dir != "" {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, i18n.Errorf("--dir %s: not a folder of lesson files", dir)
		}
		var extra []*Lesson
		extra, problems = loadDir(dir, lang)
		lessons = append(lessons, extra...)
	}
	sort.SliceStable(lessons, func(i, j int) bool { return lessons[i].Number < lessons[j].Number })
	for i := 1; i < len(lessons); i++ {
		if lessons[i].Number == lessons[i-1].Number {
			return nil, i18n.Errorf("%s and %s both are lesson %d: rename one", lessons[i-1].File, lessons[i].File, lessons[i].Number)
		}
	}
	return lessons, problems
}

// loadDir reads a teacher's lessons: the files in dir, and those in
// dir/lang (before those of the other language's folder).
func loadDir(dir, lang string) ([]*Lesson, error) {
	fsys := os.DirFS(dir)
	out, err := loadFS(fsys, ".", dir)
	problems := []error{err}
	seen := map[int]bool{}
	order := append([]string{lang}, slices.DeleteFunc(slices.Clone(Languages), func(l string) bool { return l == lang })...)
	for _, sub := range order {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err != nil || !fi.IsDir() {
			continue
		}
		found, err := loadFS(fsys, sub, filepath.Join(dir, sub))
		problems = append(problems, err)
		for _, l := range found {
			if !seen[l.Number] {
				seen[l.Number] = true
				out = append(out, l)
			}
		}
	}
	return out, errors.Join(problems...)
}

func loadFS(fsys fs.FS, root, shown string) ([]*Lesson, error) {
	names, err := fs.Glob(fsys, filepath.ToSlash(filepath.Join(root, "*.md")))
	if err != nil {
		return nil, err
	}
	var out []*Lesson
	var problems []error
	for _, name := range names {
		base := filepath.Base(name)
		if strings.EqualFold(base, "README.md") {
			continue
		}
		m := fileNumber.FindStringSubmatch(base)
		file := filepath.Join(shown, base)
		if m == nil {
			problems = append(problems, &ParseError{file, 1, i18n.T("a lesson file is named NN-title.md (e.g. 09-my-lesson.md)")})
			continue
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		l, err := Parse(file, string(data))
		if err != nil {
			problems = append(problems, err)
			continue
		}
		l.Number, _ = strconv.Atoi(m[1])
		out = append(out, l)
	}
	return out, errors.Join(problems...)
}

// Parse reads one lesson file.
func Parse(file, text string) (*Lesson, error) {
	p := &parser{file: file, lesson: &Lesson{File: file}}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		p.line++
		if err := p.feed(strings.TrimRight(sc.Text(), "\r")); err != nil {
			return nil, err
		}
	}
	return p.finish()
}

type parser struct {
	file   string
	line   int
	lesson *Lesson
	para   []string // explanation lines not yet made a step
	block  *Step    // the fenced block being read
	inSol  bool     // reading an exercise's solution lines
	start  int      // line of the block's opening fence
}

func (p *parser) errf(format string, args ...any) error {
	return &ParseError{p.file, p.line, i18n.T(format, args...)}
}

func (p *parser) feed(line string) error {
	if p.block != nil {
		if strings.HasPrefix(line, "```") {
			return p.closeBlock()
		}
		return p.blockLine(line)
	}
	if strings.HasPrefix(line, "```") {
		return p.openBlock(strings.TrimSpace(strings.TrimPrefix(line, "```")))
	}
	if strings.HasPrefix(line, "# ") && p.lesson.Title == "" {
		p.lesson.Title = strings.TrimSpace(line[2:])
		return nil
	}
	p.para = append(p.para, line)
	return nil
}

// flushText turns collected paragraphs into an Explain step.
func (p *parser) flushText() {
	text := strings.TrimSpace(strings.Join(p.para, "\n"))
	if text != "" {
		p.lesson.Steps = append(p.lesson.Steps, Step{Kind: Explain, Line: p.line - len(p.para), Text: text})
	}
	p.para = nil
}

func (p *parser) openBlock(info string) error {
	p.flushText()
	fields := strings.Fields(info)
	if len(fields) == 0 {
		return p.errf("a fence needs a kind: demo, play, decode or exercise")
	}
	s := &Step{Kind: Kind(fields[0]), Line: p.line, Params: map[string]string{}}
	switch s.Kind {
	case Demo, Exercise:
		if err := p.target(s, fields[1:]); err != nil {
			return err
		}
		if s.Kind == Exercise {
			s.Ex = &ExerciseSpec{}
		}
	case Program:
		if len(fields) != 2 || !slices.Contains(programLanguages, strings.ToLower(fields[1])) {
			return p.errf("```program needs a language: go, python or java")
		}
		s.Language, s.Proto = strings.ToLower(fields[1]), "smtp"
	case Grade:
		if len(fields) != 2 || fields[1] != "smtp" && fields[1] != "pop3" {
			return p.errf("```check needs a protocol: smtp or pop3")
		}
		s.Proto = fields[1]
	case Play, Decode:
	default:
		return p.errf("unknown block kind %q (demo, play, decode, exercise, program or check)", fields[0])
	}
	p.block, p.inSol, p.start = s, false, p.line
	return nil
}

// target reads a demo's or an exercise's "PROTOCOL [DOMAIN] [require-tls]".
func (p *parser) target(s *Step, fields []string) error {
	if len(fields) == 0 {
		return p.errf("```%s needs a protocol: smtp, pop3, smtps, pop3s%s", s.Kind, map[bool]string{true: " or decode"}[s.Kind == Exercise])
	}
	proto := strings.ToLower(fields[0])
	switch {
	case proto == "smtp" || proto == "pop3" || s.Kind == Exercise && proto == "decode":
		s.Proto = proto
	case proto == "smtps" || proto == "pop3s":
		s.Proto, s.Implicit = strings.TrimSuffix(proto, "s"), true
	default:
		return p.errf("unknown protocol %q (smtp, pop3, smtps or pop3s)", fields[0])
	}
	for _, f := range fields[1:] {
		switch f = strings.ToLower(f); {
		case f == "require-tls" && s.Kind == Demo:
			s.RequireTLS = true
		case f == "require-tls":
			return p.errf("require-tls goes with demos: exercises run where the learner works (a class sandbox, too)")
		case f == "class" && s.Kind == Demo:
			s.ForClass = true
		case f == "class":
			return p.errf("class goes with demos: exercises always run on the class sandbox in class")
		case (f == "program" || f == "server") && s.Kind == Exercise && !s.Implicit:
			s.Learner = f
		case f == "program" || f == "server":
			return p.errf("%s goes with exercises on smtp or pop3: the learner's own %s", f, f)
		case s.Domain == "" && strings.Contains(f, "."):
			s.Domain = f
		default:
			return p.errf("unexpected %q after the protocol (a domain such as sina.com, require-tls or class)", f)
		}
	}
	return nil
}

func (p *parser) blockLine(line string) error {
	s := p.block
	switch s.Kind {
	case Demo, Decode, Program:
		if strings.TrimSpace(line) != "" || s.Kind != Decode {
			s.Lines = append(s.Lines, line)
		}
		return nil
	case Grade:
		return nil
	case Play:
		return p.param(line)
	}
	if p.inSol {
		s.Ex.Solution = append(s.Ex.Solution, line)
		return nil
	}
	return p.exerciseLine(line)
}

// param reads "key: value" in a play block.
func (p *parser) param(line string) error {
	if strings.TrimSpace(line) == "" {
		return nil
	}
	k, v, ok := strings.Cut(line, ":")
	if !ok {
		return p.errf("expected key: value, got %q", line)
	}
	switch k = strings.TrimSpace(k); k {
	case "from", "to", "subject", "body":
		p.block.Params[k] = strings.TrimSpace(v)
		return nil
	}
	return p.errf("unknown play setting %q (from, to, subject or body)", k)
}

// exerciseLine reads goal:, check:, hint: and solution: lines.
func (p *parser) exerciseLine(line string) error {
	if strings.TrimSpace(line) == "" {
		return nil
	}
	k, v, ok := strings.Cut(line, ":")
	if !ok {
		return p.errf("expected goal:, check:, hint: or solution:, got %q", line)
	}
	ex, v := p.block.Ex, strings.TrimSpace(v)
	switch strings.TrimSpace(k) {
	case "goal":
		ex.Goal = strings.TrimSpace(ex.Goal + " " + v)
	case "hint":
		ex.Hints = append(ex.Hints, v)
	case "check":
		c, err := parseCheck(v, p.block.Proto)
		if err == nil {
			err = checkFits(c, p.block.Learner)
		}
		if err != nil {
			return p.errf("%v", err)
		}
		c.Line = p.line
		ex.Checks = append(ex.Checks, c)
	case "solution":
		p.inSol = true
		switch {
		case p.block.Learner == "program" && !slices.Contains(programLanguages, v):
			return p.errf("a program exercise's solution: names its language (go, python or java), then its code")
		case p.block.Learner == "program":
			p.block.Language = v
		case p.block.Learner == "server" && v != "sandbox":
			return p.errf("a server exercise's solution is the sandbox's own server: solution: sandbox")
		case v != "":
			ex.Solution = append(ex.Solution, v)
		}
	default:
		return p.errf("unknown exercise field %q (goal, check, hint or solution)", strings.TrimSpace(k))
	}
	return nil
}

func (p *parser) closeBlock() error {
	s := p.block
	p.block = nil
	if s.Kind == Exercise && s.Learner == "server" && len(s.Ex.Solution) == 0 {
		s.Ex.Solution = []string{"sandbox"}
	}
	if s.Kind == Exercise {
		ex := s.Ex
		for len(ex.Solution) > 0 && strings.TrimSpace(ex.Solution[len(ex.Solution)-1]) == "" && s.Proto == "decode" {
			ex.Solution = ex.Solution[:len(ex.Solution)-1]
		}
		switch {
		case ex.Goal == "":
			return &ParseError{p.file, p.start, i18n.T("the exercise has no goal: line")}
		case len(ex.Checks) == 0:
			return &ParseError{p.file, p.start, i18n.T("the exercise has no check: line, so nothing could decide it")}
		case len(ex.Solution) == 0:
			return &ParseError{p.file, p.start, i18n.T("the exercise has no solution: (lesson check answers with it)")}
		}
	}
	if (s.Kind == Demo || s.Kind == Decode || s.Kind == Program) && len(s.Lines) == 0 {
		return &ParseError{p.file, p.start, i18n.T("the %s block is empty", s.Kind)}
	}
	p.lesson.Steps = append(p.lesson.Steps, *s)
	return nil
}

func (p *parser) finish() (*Lesson, error) {
	if p.block != nil {
		return nil, &ParseError{p.file, p.start, i18n.T("this ``` block is never closed")}
	}
	p.flushText()
	if p.lesson.Title == "" {
		return nil, &ParseError{p.file, 1, i18n.T("a lesson starts with a title line: # Title")}
	}
	return p.lesson, nil
}

// checkKinds says how many arguments each check takes and what for.
var checkKinds = map[string]struct {
	min, max int
	usage    string
}{
	"ok":        {1, 2, i18n.N("ok VERB [TEXT]: a command with this verb (holding TEXT) got a success answer, e.g. check: ok RCPT bbb@sina.com")},
	"got":       {1, 1, i18n.N("got KEY: the server sent that reply of its catalogue, e.g. check: got smtp.relay-ok")},
	"reply":     {1, 1, i18n.N("reply PREFIX: some answer starts with PREFIX, e.g. check: reply 235")},
	"state":     {1, 9, i18n.N("state NAME: where the conversation ended, e.g. check: state authenticated")},
	"delivered": {1, 2, i18n.N("delivered ADDRESS [SUBJECT]: a new message reached that mailbox")},
	"sent":      {1, 1, i18n.N("sent N: the server accepted N messages")},
	"answer":    {1, 1, i18n.N("answer PAYLOAD: the learner typed what PAYLOAD decodes to")},
	"tls":       {0, 0, i18n.N("tls: the conversation ended inside TLS (after STARTTLS or STLS, or on smtps/pop3s)")},
	"verdict":   {1, 1, i18n.N("verdict clean: the servers found nothing wrong with the learner's program (program exercises)")},
	"passes":    {0, 0, i18n.N("passes: maillab check finds every required case passed (server exercises)")},
}

// checkFits refuses a check the exercise's kind cannot decide: verdicts
// judge programs; maillab check grades servers, and nothing else does.
func checkFits(c Check, learner string) error {
	switch {
	case c.Kind == "verdict" && learner != "program":
		return i18n.Errorf("check verdict goes with program exercises (exercise smtp program)")
	case c.Kind == "verdict" && c.Args[0] != "clean":
		return i18n.Errorf("check verdict: write verdict clean")
	case (c.Kind == "passes") != (learner == "server"):
		return i18n.Errorf("a server exercise (exercise smtp server) has the one check passes")
	}
	return nil
}

// parseCheck reads e.g. `reply 235` or `delivered bbb@sina.com "hello"`.
func parseCheck(s, proto string) (Check, error) {
	fields := splitQuoted(s)
	if len(fields) == 0 {
		return Check{}, i18n.Errorf("empty check")
	}
	kind, args := fields[0], fields[1:]
	spec, ok := checkKinds[kind]
	if !ok {
		return Check{}, i18n.Errorf("unknown check %q (ok, got, reply, state, delivered, sent, tls, answer, verdict or passes)", kind)
	}
	if len(args) < spec.min || len(args) > spec.max {
		return Check{}, i18n.Errorf("check %s: %s", kind, spec.usage)
	}
	if (kind == "answer") != (proto == "decode") {
		return Check{}, i18n.Errorf("check %s does not go with a %s exercise", kind, proto)
	}
	if kind == "state" {
		args = []string{strings.Join(args, " ")}
	}
	if kind == "got" && !knownReply(args[0]) {
		return Check{}, i18n.Errorf("check got %s: no such reply (keys such as smtp.relay-ok, pop3.retr; see trace/proto/smtp and trace/proto/pop3)", args[0])
	}
	return Check{Kind: kind, Args: args}, nil
}

// splitQuoted splits on spaces, keeping "quoted words" together.
func splitQuoted(s string) []string {
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] == '"' {
			if end := strings.IndexByte(s[1:], '"'); end >= 0 {
				out = append(out, s[1:end+1])
				s = s[end+2:]
				continue
			}
		}
		word, rest, _ := strings.Cut(s, " ")
		out = append(out, word)
		s = rest
	}
	return out
}
