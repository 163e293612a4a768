package lessons

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEmbeddedLessonsCheck is `maillab lesson check` over every embedded
// lesson: every demo plays and every reference solution passes.
func TestEmbeddedLessonsCheck(t *testing.T) {
	all, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 8 {
		t.Fatalf("%d lessons, want at least 8", len(all))
	}
	for _, l := range all {
		t.Run(l.Title, func(t *testing.T) {
			if err := Verify(context.Background(), l, io.Discard); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// exercises returns the exercise steps of a lesson.
func exercises(l *Lesson) []Step {
	var out []Step
	for _, s := range l.Steps {
		if s.Kind == Exercise {
			out = append(out, s)
		}
	}
	return out
}

// runScript plays a lesson with input as the learner's lines.
func runScript(t *testing.T, l *Lesson, input string) (bool, string) {
	t.Helper()
	var out bytes.Buffer
	r := &Runner{In: strings.NewReader(input), Out: &out, ErrOut: &out}
	passed, err := r.Run(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	return passed, out.String()
}

// TestEveryLessonInScriptMode: the solution typed as a learner would passes;
// a wrong try gets a hint and, when input ends, the lesson is not passed.
func TestEveryLessonInScriptMode(t *testing.T) {
	all, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range all {
		t.Run(l.Title, func(t *testing.T) {
			var right, wrong strings.Builder
			for _, ex := range exercises(l) {
				if ex.Learner != "" {
					right.WriteString(":solution\n") // a program of one's own, a server of one's own: the reference one
					continue
				}
				right.WriteString(strings.Join(ex.Ex.Solution, "\n") + "\n")
			}
			first := exercises(l)[0]
			if first.Proto == "decode" {
				wrong.WriteString("not the answer\n")
			} else {
				wrong.WriteString("BOGUS\nBOGUS\n")
			}
			if passed, out := runScript(t, l, right.String()); !passed {
				t.Errorf("the solution did not pass:\n%s", out)
			}
			passed, out := runScript(t, l, wrong.String())
			if passed {
				t.Errorf("a wrong answer passed:\n%s", out)
			}
			if !strings.Contains(out, "hint: "+first.Ex.Hints[0]) {
				t.Errorf("the first wrong try got no hint:\n%s", out)
			}
			if first.Proto != "decode" && !strings.Contains(out, "type :solution") {
				t.Errorf("after two wrong tries the solution was not offered:\n%s", out)
			}
		})
	}
}

// TestAnyCorrectVariantPasses: the checks look at the server's answers,
// not at the text typed.
func TestAnyCorrectVariantPasses(t *testing.T) {
	all, _ := Load("")
	l, _ := byNumber(all, 3)
	for name, input := range map[string]string{
		"lower case commands": "ehlo me\nauth login\nZ2FjbA==\nMTIzNDU2\n",
		"initial response":    "EHLO me\nAUTH LOGIN Z2FjbA==\nMTIzNDU2\n",
		"full address":        "EHLO me\nAUTH LOGIN\nZ2FjbEBzb2h1LmNvbQ==\nMTIzNDU2\n",
		"AUTH PLAIN":          "EHLO me\nAUTH PLAIN AGdhY2wAMTIzNDU2\n",
		"wrong, then right":   "EHLO me\nAUTH LOGIN\nz2fjba==\nMTIzNDU2\nAUTH LOGIN\nZ2FjbA==\nMTIzNDU2\n",
	} {
		if passed, out := runScript(t, l, input); !passed {
			t.Errorf("%s did not pass:\n%s", name, out)
		}
	}
	if passed, _ := runScript(t, l, "EHLO me\n:skip\n"); passed {
		t.Error(":skip passed the exercise")
	}
}

func byNumber(all []*Lesson, n int) (*Lesson, bool) {
	for _, l := range all {
		if l.Number == n {
			return l, true
		}
	}
	return nil, false
}

func TestParseErrorsNameTheLine(t *testing.T) {
	tests := []struct {
		name, text string
		line       int
		want       string
	}{
		{"no title", "text\n", 1, "title line"},
		{"unknown block", "# T\n\n```demoo smtp\nEHLO\n```\n", 3, `unknown block kind "demoo"`},
		{"unclosed", "# T\n```demo smtp\nEHLO me\n", 2, "never closed"},
		{"no protocol", "# T\n```demo\n```\n", 2, "needs a protocol"},
		{"bad protocol", "# T\n```exercise imap\n```\n", 2, "unknown protocol"},
		{"no goal", "# T\n```exercise smtp\ncheck: reply 250\nsolution:\nNOOP\n```\n", 2, "no goal"},
		{"no check", "# T\n```exercise smtp\ngoal: x\nsolution:\nNOOP\n```\n", 2, "no check"},
		{"no solution", "# T\n```exercise smtp\ngoal: x\ncheck: reply 250\n```\n", 2, "no solution"},
		{"unknown check", "# T\n```exercise smtp\ngoal: x\ncheck: magic 1\n```\n", 4, `unknown check "magic"`},
		{"check arity", "# T\n```exercise smtp\ngoal: x\ncheck: reply\n```\n", 4, "reply PREFIX"},
		{"answer outside decode", "# T\n```exercise smtp\ngoal: x\ncheck: answer Z2FjbA==\n```\n", 4, "does not go with"},
		{"bad field", "# T\n```exercise smtp\ngoal: x\nwhat: y\n```\n", 4, `unknown exercise field "what"`},
		{"bad play setting", "# T\n```play\ncolour: red\n```\n", 3, "unknown play setting"},
		{"empty demo", "# T\n```demo smtp\n```\n", 2, "empty"},
		{"require-tls exercise", "# T\n```exercise smtp sohu.com require-tls\n```\n", 2, "require-tls goes with demos"},
		{"stray word", "# T\n```demo smtps sohu.com fast\nEHLO me\n```\n", 2, `unexpected "fast"`},
		{"tls check arity", "# T\n```exercise smtp\ngoal: x\ncheck: tls now\n```\n", 4, "tls: the conversation ended inside TLS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.md", tt.text)
			pe, ok := err.(*ParseError)
			if !ok {
				t.Fatalf("err = %v, want a ParseError", err)
			}
			if pe.Line != tt.line || !strings.Contains(pe.Msg.String(), tt.want) || !strings.HasPrefix(pe.Error(), "x.md:") {
				t.Errorf("err = %v, want line %d and %q", pe, tt.line, tt.want)
			}
		})
	}
}

func TestTeacherDirectory(t *testing.T) {
	dir := t.TempDir()
	own := "# My lesson\n\nSay hello.\n\n```exercise smtp\ngoal: Say EHLO.\ncheck: ok EHLO\nsolution:\nEHLO me\n```\n"
	os.WriteFile(filepath.Join(dir, "20-my-lesson.md"), []byte(own), 0o644)
	all, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	l, ok := byNumber(all, 20)
	if !ok || l.Title != "My lesson" {
		t.Fatalf("lesson 20 = %+v", l)
	}
	if err := Verify(context.Background(), l, io.Discard); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "03-clash.md"), []byte(own), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "both are lesson 3") {
		t.Errorf("clash: %v", err)
	}
	os.Remove(filepath.Join(dir, "03-clash.md"))
	os.WriteFile(filepath.Join(dir, "30-broken.md"), []byte("# B\n```exercise smtp\ngoal: x\ncheck: reply 250\nsolution:\nNOOP\n```\n```demo smtp\n"), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "30-broken.md:8") {
		t.Errorf("broken file: %v", err)
	}
	os.Remove(filepath.Join(dir, "30-broken.md"))
	os.WriteFile(filepath.Join(dir, "31-wrong.md"), []byte("# W\n```exercise smtp\ngoal: x\ncheck: reply 235\nsolution:\nEHLO me\n```\n"), 0o644)
	all, _ = Load(dir)
	l, _ = byNumber(all, 31)
	if err := Verify(context.Background(), l, io.Discard); err == nil || !strings.Contains(err.Error(), "31-wrong.md:2") || !strings.Contains(err.Error(), "check reply 235") {
		t.Errorf("a wrong reference solution: %v", err)
	}
}

func TestProgress(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Setenv("MAILLAB_PROGRESS", "")
	p, err := LoadProgress("")
	if err != nil {
		t.Fatal(err)
	}
	if p.Done(3) {
		t.Fatal("fresh progress has lesson 3 done")
	}
	if err := p.MarkPassed(3); err != nil {
		t.Fatal(err)
	}
	again, _ := LoadProgress("")
	if !again.Done(3) || again.Done(4) {
		t.Errorf("progress = %v", again.Passed)
	}
	mine := filepath.Join(t.TempDir(), "li-lei.json")
	t.Setenv("MAILLAB_PROGRESS", mine)
	if other, _ := LoadProgress(""); other.Done(3) || other.Path() != mine {
		t.Errorf("another learner's progress (%s) has lesson 3 done", other.Path())
	}
	if err := again.Reset(); err != nil {
		t.Fatal(err)
	}
	if reset, _ := LoadProgress(again.Path()); reset.Done(3) {
		t.Error("reset kept lesson 3")
	}
}

// lessonNumbered returns embedded lesson n.
func lessonNumbered(t *testing.T, n int) *Lesson {
	t.Helper()
	all, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range all {
		if l.Number == n {
			return l
		}
	}
	t.Fatalf("no lesson %d", n)
	return nil
}

// TestChecksMatchTheirGoals: each exercise passes only by doing what its
// goal says; a near miss does not pass and is pointed out.
func TestChecksMatchTheirGoals(t *testing.T) {
	tests := []struct {
		lesson   int
		nearMiss string
		told     string
	}{
		{1, "EHLO me\nMAIL FROM:<me@example.org>\nRCPT TO:<gacl@sina.com>\n",
			`the server accepted "RCPT TO:<gacl@sina.com>", but the goal asks for bbb@sina.com`},
		{4, "EHLO me\nAUTH LOGIN\nZ2FjbA==\nMTIzNDU2\nMAIL FROM:<gacl@sohu.com>\nRCPT TO:<aaa@sohu.com>\n",
			`the server accepted "RCPT TO:<aaa@sohu.com>", but the goal asks for bbb@sina.com`},
		{6, "EHLO me\nAUTH LOGIN\nZ2FjbA==\nMTIzNDU2\nMAIL FROM:<gacl@sohu.com>\nRCPT TO:<bbb@sina.com>\nDATA\nSubject: Relayed\n\nhi\n.\nQUIT\n",
			`its subject is "Relayed", not "relayed": letter case counts`},
		{9, "EHLO me\nAUTH PLAIN AGdhY2wAMTIzNDU2\nSTARTTLS\nEHLO me\n",
			"the login came before STARTTLS"},
	}
	for _, tt := range tests {
		t.Run(lessonNumbered(t, tt.lesson).Title, func(t *testing.T) {
			passed, out := runScript(t, lessonNumbered(t, tt.lesson), tt.nearMiss)
			if passed || !strings.Contains(out, tt.told) {
				t.Errorf("near miss passed=%v, output:\n%s", passed, out)
			}
		})
	}
	passed, out := runScript(t, lessonNumbered(t, 8), "邮件测试\n")
	if !passed || !strings.Contains(out, "✓ passed: that is what it says") {
		t.Errorf("decode exercise: passed=%v\n%s", passed, out)
	}
}

// TestEveryLessonInEveryLanguage: each built-in lesson exists in every
// language of Languages with the same demos, exercises, checks and
// solutions as in English (the words around them translated), and every
// reference solution passes in each.
func TestEveryLessonInEveryLanguage(t *testing.T) {
	en, err := LoadIn("", "en")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range Languages[1:] {
		other, err := LoadIn("", lang)
		if err != nil {
			t.Fatal(err)
		}
		if len(en) != len(other) {
			t.Fatalf("%d English lessons, %d in %s", len(en), len(other), lang)
		}
		for i := range en {
			if en[i].Number != other[i].Number {
				t.Fatalf("lesson %d has no %s twin (found %d)", en[i].Number, lang, other[i].Number)
			}
			if a, b := skeleton(en[i]), skeleton(other[i]); a != b {
				t.Errorf("lesson %d differs between en and %s:\n en: %s\n %s: %s", en[i].Number, lang, a, lang, b)
			}
			if lang == "zh" && !cjk.MatchString(other[i].Title) {
				t.Errorf("lesson %d's Chinese title %q is not Chinese", other[i].Number, other[i].Title)
			}
		}
		for _, l := range other {
			if err := Verify(context.Background(), l, io.Discard); err != nil {
				t.Errorf("%s lesson %d: %v", lang, l.Number, err)
			}
		}
	}
}

var cjk = regexp.MustCompile(`\p{Han}`)

// skeleton is what must not change with the language: the kinds of step,
// their protocols, demo lines, play settings, checks and solutions.
func skeleton(l *Lesson) string {
	var b strings.Builder
	for _, s := range l.Steps {
		if s.Kind == Explain {
			continue
		}
		fmt.Fprintf(&b, "[%s %s %s %v %v %q %v %s %s", s.Kind, s.Proto, s.Domain, s.Implicit, s.RequireTLS, s.Lines, s.Params, s.Language, s.Learner)
		if s.Ex != nil {
			for _, c := range s.Ex.Checks {
				fmt.Fprintf(&b, " check %s %q", c.Kind, c.Args)
			}
			fmt.Fprintf(&b, " solution %q hints %d", s.Ex.Solution, len(s.Ex.Hints))
		}
		b.WriteString("] ")
	}
	return b.String()
}

// TestTeacherDirectoryByLanguage: a teacher's files right in --dir serve
// every language; en/ and zh/ folders give a lesson per language, and a
// lesson missing from one is taken from the other.
func TestTeacherDirectoryByLanguage(t *testing.T) {
	dir := t.TempDir()
	lesson := func(title string) []byte {
		return []byte("# " + title + "\n\n```exercise smtp\ngoal: Say EHLO.\ncheck: ok EHLO\nsolution:\nEHLO me\n```\n")
	}
	os.MkdirAll(filepath.Join(dir, "en"), 0o755)
	os.MkdirAll(filepath.Join(dir, "zh"), 0o755)
	os.WriteFile(filepath.Join(dir, "20-both.md"), lesson("For everyone"), 0o644)
	os.WriteFile(filepath.Join(dir, "en", "21-hello.md"), lesson("Hello"), 0o644)
	os.WriteFile(filepath.Join(dir, "zh", "21-hello.md"), lesson("你好"), 0o644)
	os.WriteFile(filepath.Join(dir, "en", "22-only-en.md"), lesson("English only"), 0o644)
	for lang, want := range map[string][]string{"en": {"For everyone", "Hello", "English only"}, "zh": {"For everyone", "你好", "English only"}} {
		all, err := LoadIn(dir, lang)
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range []int{20, 21, 22} {
			l, ok := byNumber(all, n)
			if !ok || l.Title != want[i] {
				t.Errorf("%s: lesson %d = %+v, want %q", lang, n, l, want[i])
			}
		}
	}
}
