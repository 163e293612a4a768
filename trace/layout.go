package trace

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/fatih/color"
	"golang.org/x/text/width"
)

// Layout of the text and Markdown renderers: a note starts at noteColumn
// when the line leaves room, else on the next line under it; a note wraps
// at word boundaries (never inside a word) to stay within the width; and
// when the width leaves a note less than minNoteWidth columns there, notes
// go on their own lines, indented by narrowIndent.
const (
	noteColumn    = 44
	minNoteWidth  = 24
	narrowIndent  = 6
	DefaultWidth  = 80 // when the output is not a terminal
	notePrefixLen = 2  // "# "
)

// spaces pads to the note column.
var spaces = strings.Repeat(" ", noteColumn)

// DisplayWidth is how many terminal columns s takes: East Asian wide and
// full-width characters take two, as CJK text does.
func DisplayWidth(s string) int {
	i := asciiPrefix(s)
	n := i
	for _, r := range s[i:] {
		n += runeWidth(r)
	}
	return n
}

// bytesWidth is DisplayWidth of text in a buffer, without copying it.
func bytesWidth(p []byte) int {
	i := asciiPrefix(p)
	n := i
	for i < len(p) {
		r, size := utf8.DecodeRune(p[i:])
		n += runeWidth(r)
		i += size
	}
	return n
}

// asciiPrefix is how many bytes s starts with that are ASCII, a column a
// byte: most of a transcript.
func asciiPrefix[T string | []byte](s T) int {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	return i
}

// runeWidth is how many columns r takes: 2 for East Asian wide and
// full-width characters, else 1.
func runeWidth(r rune) int {
	if r < 0x1100 { // nothing below Hangul Jamo is wide: the common case
		return 1
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// noteLayout decides where a note goes: its column, and how wide its
// lines may be (0: no limit).
func noteLayout(total int) (column, room int) {
	if total <= 0 {
		return noteColumn, 0
	}
	if total-noteColumn-notePrefixLen >= minNoteWidth {
		return noteColumn, total - noteColumn - notePrefixLen
	}
	return narrowIndent, max(total-narrowIndent-notePrefixLen, 10)
}

// wrappedNotes remembers how notes were wrapped: a transcript repeats
// the same few hundred notes (a header's, a body line's, 250's) at the
// same width, and wrapping is most of what a wiretap line costs. It
// forgets everything when full, so a flood of distinct notes cannot grow
// it. Callers never change the lines it returns.
var wrappedNotes = struct {
	sync.Mutex
	m map[wrapKey][]string
}{m: map[wrapKey][]string{}}

type wrapKey struct {
	text    string
	room    int
	visible bool // text is a note as it came, its lines escaped (visibleLines)
}

// maxWrappedNotes bounds wrappedNotes.
const maxWrappedNotes = 4096

// wrapWords splits text into lines of at most room columns, breaking
// between words, and in Chinese between characters (never before a
// closing mark such as ，or 。, nor after an opening one such as （); a
// word longer than room gets a line of its own. The lines are shared:
// the caller reads them only.
func wrapWords(text string, room int) []string {
	return remembered(wrapKey{text: text, room: room}, func() []string { return wrapWordsAnew(text, room) })
}

// visibleLines is wrapWords(Visible(note), room), remembered by the note
// as it came: a repeated note is neither escaped nor wrapped again.
func visibleLines(note string, room int) []string {
	return remembered(wrapKey{text: note, room: room, visible: true}, func() []string { return wrapWordsAnew(Visible(note), room) })
}

// remembered returns the lines wrappedNotes has for key, else wraps them
// and remembers them.
func remembered(key wrapKey, wrap func() []string) []string {
	if len(key.text) > 512 {
		return wrap() // a long note is rarely seen twice
	}
	wrappedNotes.Lock()
	lines, ok := wrappedNotes.m[key]
	wrappedNotes.Unlock()
	if ok {
		return lines
	}
	lines = wrap()
	wrappedNotes.Lock()
	if len(wrappedNotes.m) >= maxWrappedNotes {
		clear(wrappedNotes.m)
	}
	wrappedNotes.m[key] = lines
	wrappedNotes.Unlock()
	return lines
}

// wrapWordsAnew is wrapWords without the memory.
func wrapWordsAnew(text string, room int) []string {
	if room <= 0 || DisplayWidth(text) <= room {
		return []string{text}
	}
	// one buffer for every line, cut at the line ends: two allocations
	// however many lines
	var all strings.Builder
	all.Grow(len(text))
	var ends []int
	used := 0
	eachUnit(text, func(u unit) {
		gap := 0
		if u.spaced && used > 0 {
			gap = 1
		}
		if used > 0 && used+gap+u.width > room {
			ends = append(ends, all.Len())
			used, gap = 0, 0
		}
		if gap > 0 {
			all.WriteByte(' ')
		}
		all.WriteString(u.text)
		used += gap + u.width
	})
	ends = append(ends, all.Len())
	joined := all.String()
	lines := make([]string, len(ends))
	start := 0
	for i, end := range ends {
		lines[i], start = joined[start:end], end
	}
	return lines
}

// unit is a piece of text a line may not break inside: a word, or a CJK
// character with the marks that must stay with it.
type unit struct {
	text   string
	width  int  // display columns
	spaced bool // a space separates it from the unit before
}

// breakUnits cuts text into units: words at spaces, and each wide
// character on its own.
func breakUnits(text string) []unit {
	var units []unit
	eachUnit(text, func(u unit) { units = append(units, u) })
	return units
}

// eachUnit calls fn with text's units in order. A closing mark that
// begins a unit is given to the unit before (by growing it), so fn sees
// a unit only when the next one has begun.
func eachUnit(text string, fn func(unit)) {
	var pending unit
	has := false
	emit := func(u unit) {
		if has {
			fn(pending)
		}
		pending, has = u, true
	}
	for word := range strings.FieldsSeq(text) {
		if isASCII(word) {
			emit(unit{word, len(word), true})
			continue
		}
		splitWide(word, emit, func(mark string, w int) bool {
			if !has {
				return false
			}
			pending.text += mark
			pending.width += w
			return true
		})
	}
	if has {
		fn(pending)
	}
}

// splitWide cuts a word holding wide characters into units, giving
// emit each, and attach a closing mark that would begin one.
func splitWide(word string, emit func(unit), attach func(string, int) bool) {
	start, w, spaced := 0, 0, true
	glue, lastWide := false, false // the last rune opens (（, “), or is wide
	flush := func(end int) {
		if end > start {
			emit(unit{word[start:end], w, spaced})
			start, w, spaced = end, 0, false
		}
	}
	for i, r := range word {
		rw := runeWidth(r)
		switch {
		case strings.ContainsRune(closingMarks, r):
			if i == start && !spaced && attach(string(r), rw) { // never at the start of a line
				start = i + utf8.RuneLen(r)
				lastWide, glue = rw == 2, false
				continue
			}
		case glue:
		case rw == 2, lastWide:
			flush(i) // a wide character starts a unit; Latin after one may break there
		}
		w += rw
		lastWide, glue = rw == 2, strings.ContainsRune(openingMarks, r)
	}
	flush(len(word))
}

func isASCII(s string) bool { return asciiPrefix(s) == len(s) }

// Marks that stay with the character before (closing) or after
// (opening) them in Chinese text.
const (
	closingMarks = "，。、：；！？）」』”’》〉】,.:;!?)"
	openingMarks = "（「『“‘《〈【"
)

// writeNote lays out a note after a line that took lineWidth columns:
// on the same line at the note column when it fits, else on the next,
// wrapped under its column. The note is escaped (Visible) here; pal and
// c colour its text.
func writeNote(b *bytes.Buffer, lineWidth, total int, note string, pal palette, c *color.Color) {
	column, room := noteLayout(total)
	if lineWidth < column && (column == noteColumn) {
		b.WriteString(spaces[:column-lineWidth])
	} else {
		b.WriteString("\n")
		b.WriteString(spaces[:column])
	}
	for i, l := range visibleLines(note, room) {
		if i == 0 {
			pal.write(b, c, "# ", l)
			continue
		}
		b.WriteString("\n")
		b.WriteString(spaces[:column])
		pal.write(b, c, "  ", l)
	}
}

// Wrap lays prose out in width columns: words (and Chinese characters,
// keeping their marks) move to the next line, which starts with indent
// spaces; a word wider than the room keeps a line of its own, unbroken,
// so a URL, a path or a Base64 string is never split. The first line is
// taken to start at column first (text already written before it).
// width <= 0: text as it is.
func Wrap(text string, width, first, indent int) string {
	if width <= 0 || first+DisplayWidth(text) <= width {
		return text
	}
	room := max(width-indent, 10)
	var b strings.Builder
	used, start := first, first // start: where the current line's text starts
	eachUnit(text, func(u unit) {
		gap := 0
		if u.spaced && used > start {
			gap = 1
		}
		if used > start && used+gap+u.width > width || used == first && first > indent && used+u.width > width && u.width <= room {
			b.WriteString("\n")
			b.WriteString(strings.Repeat(" ", indent))
			used, start, gap = indent, indent, 0
		}
		if gap > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(u.text)
		used += gap + u.width
	})
	return b.String()
}

// WrapParagraphs rewraps prose made of paragraphs (separated by blank
// lines) to width columns: each paragraph's lines are joined (with a
// space between words, with none between two Chinese characters) and
// wrapped again. In a paragraph of indented lines (code, examples to
// copy), a line that defines a term ("  play   watch one message…")
// has its definition wrapped under itself; the others stay as they are.
// width <= 0: text as it is.
func WrapParagraphs(text string, width int) string {
	if width <= 0 {
		return text
	}
	paragraphs := strings.Split(text, "\n\n")
	for i, p := range paragraphs {
		lines := strings.Split(p, "\n")
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") }) {
			paragraphs[i] = Wrap(joinLines(lines), width, 0, 0)
			continue
		}
		for j, l := range lines {
			if m := definition.FindStringSubmatch(l); m != nil && DisplayWidth(l) > width {
				col := DisplayWidth(m[1])
				lines[j] = m[1] + Wrap(m[2], width, col, col)
			}
		}
		paragraphs[i] = strings.Join(lines, "\n")
	}
	return strings.Join(paragraphs, "\n\n")
}

// definition is an indented line that defines a term: the term, at least
// two spaces, the definition.
var definition = regexp.MustCompile(`^( +\S+ {2,})(\S.*)$`)

// joinLines joins a paragraph's lines: with a space, but none between
// two wide characters (Chinese has no spaces between words).
func joinLines(lines []string) string {
	var b strings.Builder
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if i > 0 && b.Len() > 0 && l != "" {
			last, _ := utf8.DecodeLastRuneInString(b.String())
			next, _ := utf8.DecodeRuneInString(l)
			if runeWidth(last) < 2 || runeWidth(next) < 2 {
				b.WriteByte(' ')
			}
		}
		b.WriteString(l)
	}
	return b.String()
}
