package class

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"maillab/trace/i18n"
)

// Exercise is an exercise as the grade book lists it.
type Exercise struct {
	ID     string `json:"id"` // "7.1": lesson 7, its first exercise
	Lesson int    `json:"lesson"`
	Title  string `json:"title"` // the lesson's title
	Goal   string `json:"goal"`
	Graded bool   `json:"graded"` // false: self-checked (the servers see nothing of it)
}

// Grade is how far a student got with an exercise, as the servers saw it.
type Grade struct {
	Met    int       `json:"met"` // checks met in the student's best try
	Of     int       `json:"of"`
	Passed bool      `json:"passed"`
	Tries  int       `json:"tries"` // sessions that tried it and did not pass
	When   time.Time `json:"when"`  // when it passed, or was last tried

	// Delivered is the exercise's delivered checks met so far, one bit
	// per check in the exercise's order: a message the student sent
	// reached the mailbox, with the subject.
	Delivered uint64 `json:"delivered,omitempty"`
}

// Result words, for the page and the CSV sheets.
var (
	wordPassed   = i18n.N("passed")
	wordFailed   = i18n.N("failed")
	wordNotTried = i18n.N("not tried")
	wordSelf     = i18n.N("self-checked")
)

// Book is the class's grade book: each student's best grade per exercise.
// Only a grader that watched the servers writes to it. It is safe for
// concurrent use.
type Book struct {
	exercises []Exercise
	mu        sync.Mutex
	grades    map[string]map[string]Grade // student -> exercise id -> grade
	changed   bool
}

// NewBook makes an empty grade book for exercises, in their order.
func NewBook(exercises []Exercise) *Book {
	return &Book{exercises: exercises, grades: map[string]map[string]Grade{}}
}

// Exercises lists the exercises, in order.
func (b *Book) Exercises() []Exercise {
	if b == nil {
		return nil
	}
	return b.exercises
}

// Grade returns a student's grade for an exercise.
func (b *Book) Grade(student, exercise string) (Grade, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	g, ok := b.grades[student][exercise]
	return g, ok
}

// Passed records that a student passed an exercise (a pass is kept).
func (b *Book) Passed(student, exercise string, of int, when time.Time) {
	b.update(student, exercise, func(g *Grade) bool {
		if g.Passed {
			return false
		}
		g.Met, g.Of, g.Passed, g.When = of, of, true, when
		return true
	})
}

// Tried records a try that did not pass, meeting met of the exercise's
// checks; the best try's count is kept.
func (b *Book) Tried(student, exercise string, met, of int, when time.Time) {
	b.update(student, exercise, func(g *Grade) bool {
		if g.Passed {
			return false
		}
		g.Tries++
		g.Met, g.Of, g.When = max(g.Met, met), of, when
		return true
	})
}

// Delivered records delivered checks a student met (bits: one per check,
// in the exercise's order).
func (b *Book) Delivered(student, exercise string, bits uint64) {
	b.update(student, exercise, func(g *Grade) bool {
		if g.Delivered|bits == g.Delivered {
			return false
		}
		g.Delivered |= bits
		return true
	})
}

// update changes one grade under the lock.
func (b *Book) update(student, exercise string, change func(*Grade) bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	byExercise := b.grades[student]
	if byExercise == nil {
		byExercise = map[string]Grade{}
		b.grades[student] = byExercise
	}
	g := byExercise[exercise]
	if change(&g) {
		byExercise[exercise] = g
		b.changed = true
	}
}

// Reset forgets a student's grades ("": everyone's).
func (b *Book) Reset(student string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if student == "" {
		clear(b.grades)
	} else {
		delete(b.grades, student)
	}
	b.changed = true
}

// Counts returns how many exercises a student passed and how many they
// tried without passing.
func (b *Book) Counts(student string) (passed, failed int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, g := range b.grades[student] {
		if g.Passed {
			passed++
		} else if g.Tries > 0 {
			failed++
		}
	}
	return passed, failed
}

// All returns every grade, by student and exercise id.
func (b *Book) All() map[string]map[string]Grade {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]map[string]Grade, len(b.grades))
	for student, byExercise := range b.grades {
		out[student] = make(map[string]Grade, len(byExercise))
		for id, g := range byExercise {
			out[student][id] = g
		}
	}
	return out
}

// restore takes grades kept before a restart.
func (b *Book) restore(saved map[string]map[string]Grade) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for student, byExercise := range saved {
		if b.grades[student] == nil {
			b.grades[student] = map[string]Grade{}
		}
		for id, g := range byExercise {
			b.grades[student][id] = g
		}
	}
}

// takeChanged reports whether the book changed since it last said so.
func (b *Book) takeChanged() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	changed := b.changed
	b.changed = false
	return changed
}

// Sheet is one of the CSV exports, after Kathará's checker: a summary row
// per student, every result, or the failures only.
type Sheet string

// The sheets.
const (
	Summary  Sheet = "summary"
	Results  Sheet = "all"
	Failures Sheet = "failures"
)

// WriteCSV writes a sheet for students (in that order), with its words in
// p's language.
func (b *Book) WriteCSV(w io.Writer, sheet Sheet, students []string, p *i18n.Printer) error {
	out := csv.NewWriter(w)
	all := b.All()
	if sheet == Summary {
		out.Write([]string{p.Tr("student"), p.Tr("passed"), p.Tr("failed"), p.Tr("not tried"), p.Tr("graded by the servers"), p.Tr("self-checked")})
		for _, s := range students {
			out.Write(b.summaryRow(s, all[s]))
		}
	} else {
		out.Write([]string{p.Tr("student"), p.Tr("exercise"), p.Tr("lesson"), p.Tr("title"), p.Tr("result"), p.Tr("checks met"), p.Tr("tries"), p.Tr("when")})
		for _, s := range students {
			for _, x := range b.exercises {
				row := resultRow(s, x, all[s][x.ID], p)
				if sheet == Failures && row[4] != p.Tr(wordFailed) {
					continue
				}
				out.Write(row)
			}
		}
	}
	out.Flush()
	if err := out.Error(); err != nil {
		return i18n.Errorf("writing the %s sheet: %w", string(sheet), err)
	}
	return nil
}

// summaryRow counts a student's results: passed, failed and not tried
// among the server-graded exercises, and how many there are of each kind.
func (b *Book) summaryRow(student string, grades map[string]Grade) []string {
	passed, failed, untried, graded, self := 0, 0, 0, 0, 0
	for _, x := range b.exercises {
		if !x.Graded {
			self++
			continue
		}
		graded++
		switch g, ok := grades[x.ID]; {
		case ok && g.Passed:
			passed++
		case ok && g.Tries > 0:
			failed++
		default:
			untried++
		}
	}
	n := strconv.Itoa
	return []string{student, n(passed), n(failed), n(untried), n(graded), n(self)}
}

// Result says a grade in words: passed, failed, not tried or self-checked.
func Result(x Exercise, g Grade, ok bool) string {
	switch {
	case !x.Graded:
		return wordSelf
	case ok && g.Passed:
		return wordPassed
	case ok && g.Tries > 0:
		return wordFailed
	}
	return wordNotTried
}

// resultRow is one student's result for one exercise.
func resultRow(student string, x Exercise, g Grade, p *i18n.Printer) []string {
	ok := g.Of > 0
	met, when := "", ""
	if ok {
		met = fmt.Sprintf("%d/%d", g.Met, g.Of)
		when = g.When.Format(time.RFC3339)
	}
	return []string{student, x.ID, strconv.Itoa(x.Lesson), x.Title, p.Tr(Result(x, g, ok)), met, strconv.Itoa(g.Tries), when}
}
