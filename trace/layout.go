package trace

import (
	"bytes"
	"strings"

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
	n := 0
	for _, r := range s {
		if r < 0x1100 { // nothing below Hangul Jamo is wide: the common case
			n++
			continue
		}
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
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

// wrapWords splits text into lines of at most room columns, breaking only
// between words; a word longer than room gets a line of its own.
func wrapWords(text string, room int) []string {
	if room <= 0 || DisplayWidth(text) <= room {
		return []string{text}
	}
	var lines []string
	var line strings.Builder
	used := 0
	for _, word := range strings.Fields(text) {
		w := DisplayWidth(word)
		if used > 0 && used+1+w > room {
			lines = append(lines, line.String())
			line.Reset()
			used = 0
		}
		if used > 0 {
			line.WriteByte(' ')
			used++
		}
		line.WriteString(word)
		used += w
	}
	return append(lines, line.String())
}

// writeNote lays out a note after a line that took lineWidth columns:
// on the same line at the note column when it fits, else on the next,
// wrapped under its column. colour writes the note's text.
func writeNote(b *bytes.Buffer, lineWidth, total int, note string, colour func(b *bytes.Buffer, s ...string)) {
	column, room := noteLayout(total)
	if lineWidth < column && (column == noteColumn) {
		b.WriteString(spaces[:column-lineWidth])
	} else {
		b.WriteString("\n")
		b.WriteString(spaces[:column])
	}
	for i, l := range wrapWords(note, room) {
		if i == 0 {
			colour(b, "# ", l)
			continue
		}
		b.WriteString("\n")
		b.WriteString(spaces[:column])
		colour(b, "  ", l)
	}
}
