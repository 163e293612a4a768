package main

import (
	"io"
	"strings"

	"maillab/trace"
)

// table lines up tab-separated cells in columns, as text/tabwriter does,
// but measuring display width: a Chinese heading takes two columns a
// character. Write collects lines; Flush writes them.
type table struct {
	w    io.Writer
	rows [][]string
	tail string // an unfinished line
}

func newTable(w io.Writer) *table { return &table{w: w} }

func (t *table) Write(p []byte) (int, error) {
	text := t.tail + string(p)
	lines := strings.Split(text, "\n")
	t.tail = lines[len(lines)-1]
	for _, l := range lines[:len(lines)-1] {
		t.rows = append(t.rows, strings.Split(l, "\t"))
	}
	return len(p), nil
}

// Flush writes the rows, each cell but the last padded to its column's
// width plus two spaces, and no trailing spaces.
func (t *table) Flush() error {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r[:len(r)-1] {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], trace.DisplayWidth(c))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		var line strings.Builder
		for i, c := range r {
			line.WriteString(c)
			if i < len(r)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-trace.DisplayWidth(c)+2))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	t.rows = nil
	_, err := io.WriteString(t.w, b.String())
	return err
}
