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

// wrapWords splits text into lines of at most room columns, breaking
// between words, and in Chinese between characters (never before a
// closing mark such as ，or 。, nor after an opening one such as （); a
// word longer than room gets a line of its own.
func wrapWords(text string, room int) []string {
	if room <= 0 || DisplayWidth(text) <= room {
		return []string{text}
	}
	var lines []string
	var line strings.Builder
	used := 0
	for _, u := range breakUnits(text) {
		w := DisplayWidth(u.text)
		gap := 0
		if u.spaced && used > 0 {
			gap = 1
		}
		if used > 0 && used+gap+w > room {
			lines = append(lines, line.String())
			line.Reset()
			used, gap = 0, 0
		}
		if gap > 0 {
			line.WriteByte(' ')
		}
		line.WriteString(u.text)
		used += gap + w
	}
	return append(lines, line.String())
}

// unit is a piece of text a line may not break inside: a word, or a CJK
// character with the marks that must stay with it.
type unit struct {
	text   string
	spaced bool // a space separates it from the unit before
}

// breakUnits cuts text into units: words at spaces, and each wide
// character on its own.
func breakUnits(text string) []unit {
	var units []unit
	for _, word := range strings.Fields(text) {
		spaced := true
		var cur strings.Builder
		glue := false // the last rune opens (（, “): the next one stays with it
		flush := func() {
			if cur.Len() > 0 {
				units = append(units, unit{cur.String(), spaced})
				cur.Reset()
				spaced = false
			}
		}
		for _, r := range word {
			wide := DisplayWidth(string(r)) == 2
			switch {
			case strings.ContainsRune(closingMarks, r):
				if cur.Len() == 0 && len(units) > 0 && !spaced {
					units[len(units)-1].text += string(r) // never at the start of a line
					continue
				}
				cur.WriteRune(r)
			case glue:
				cur.WriteRune(r)
			case wide:
				flush()
				cur.WriteRune(r)
			default:
				if cur.Len() > 0 && DisplayWidth(lastRune(cur.String())) == 2 {
					flush() // Latin after a CJK character may break there
				}
				cur.WriteRune(r)
			}
			glue = strings.ContainsRune(openingMarks, r)
		}
		flush()
	}
	return units
}

// Marks that stay with the character before (closing) or after
// (opening) them in Chinese text.
const (
	closingMarks = "，。、：；！？）」』”’》〉】,.:;!?)"
	openingMarks = "（「『“‘《〈【"
)

func lastRune(s string) string {
	r := []rune(s)
	return string(r[len(r)-1])
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
