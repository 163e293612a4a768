package check

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/fatih/color"

	"maillab/trace"
	"maillab/trace/i18n"
)

// Formats are the ways a report can be written.
var Formats = []string{"text", "json", "csv"}

// WriteOptions say how a report is written.
type WriteOptions struct {
	Format string        // text (default), json or csv
	Lang   *i18n.Printer // the language of maillab's words and notes; nil: English
	Color  bool          // ANSI colour (text only)
	Width  int           // wrap notes to this many columns (text only); 0: never
}

// Write writes the report (a server's words, in what was expected as in
// what came, shown escaped): for people (text: a line per case; for a case
// that failed or warned, what was expected and what came, and for a
// failure the annotated exchange; then the score), for programs (json: one object) or
// for a spreadsheet (csv: a row per case).
func (r *Report) Write(w io.Writer, o WriteOptions) error {
	o.Lang = i18n.Or(o.Lang)
	switch o.Format {
	case "text", "":
		return r.writeText(w, o)
	case "json":
		return r.writeJSON(w, o)
	case "csv":
		return r.writeCSV(w, o)
	}
	return i18n.Errorf("unknown format %q (choose %s)", o.Format, strings.Join(Formats, ", "))
}

// Required counts the required cases that ran, and those that passed.
func (r *Report) Required() (passed, total int) {
	for _, res := range r.Results {
		if res.Case.Level == Required && res.Outcome != Skip {
			total++
			if res.Outcome == Pass {
				passed++
			}
		}
	}
	return passed, total
}

// Score is the line that sums a report up.
func (r *Report) Score(p *i18n.Printer) string {
	pass, fail, warn, skip := r.Counts()
	requiredPassed, required := r.Required()
	return p.Trf("%d of %d required cases passed; %d passed in all, %d failed, %d warnings (strict), %d skipped", requiredPassed, required, pass, fail, warn, skip)
}

// outcomeWords are the outcomes as people read them.
var outcomeWords = map[Outcome]string{
	Pass: i18n.N("PASS"),
	Fail: i18n.N("FAIL"),
	Warn: i18n.N("WARN"),
	Skip: i18n.N("SKIP"),
}

var outcomeColours = map[Outcome]*color.Color{
	Pass: color.New(color.FgGreen),
	Fail: color.New(color.FgRed, color.Bold),
	Warn: color.New(color.FgYellow),
	Skip: color.New(color.Faint),
}

func (r *Report) writeText(w io.Writer, o WriteOptions) error {
	p := o.Lang
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n", p.Trf("maillab check: the %s server at %s", strings.ToUpper(r.Proto), trace.Visible(r.Addr)))
	if offered := r.offeredList(); offered != "" {
		fmt.Fprintf(&b, "%s\n", trace.Wrap(p.Trf("it offers: %s", offered), o.Width, 0, 2))
	}
	b.WriteString("\n")
	idWidth := 0
	for _, res := range r.Results {
		idWidth = max(idWidth, len(res.Case.ID))
	}
	for _, res := range r.Results {
		r.writeCase(&b, res, o, idWidth)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\n\n")) {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s\n", p.Trf("Score: %s", r.Score(p)))
	if !r.OK() {
		fmt.Fprintf(&b, "%s\n", p.Tr("Each FAIL above shows the exchange that failed, every line explained."))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// writeCase writes a case's line; for a failure or a warning, what was
// expected, what came and the exchange.
func (r *Report) writeCase(b *bytes.Buffer, res Result, o WriteOptions, idWidth int) {
	p := o.Lang
	word := p.Tr(outcomeWords[res.Outcome])
	label := word + strings.Repeat(" ", max(0, 4-trace.DisplayWidth(word)))
	if o.Color {
		label = outcomeColours[res.Outcome].Sprint(label)
	}
	what := p.Tr(res.Case.What)
	if res.Case.Level == Strict {
		what = p.Trf("%s (strict)", what)
	}
	prefix := fmt.Sprintf("%s  %-*s  ", label, idWidth, res.Case.ID)
	fmt.Fprintf(b, "%s%s\n", prefix, trace.Wrap(what, o.Width, trace.DisplayWidth(word)+idWidth+4, 6))
	indent := strings.Repeat(" ", 6)
	switch res.Outcome {
	case Pass:
		return
	case Skip:
		fmt.Fprintf(b, "%s%s\n", indent, trace.Wrap(p.Trf("skipped: it needs %s", trace.Visible(res.Want.In(p))), o.Width, 6, 8))
		return
	}
	fmt.Fprintf(b, "%s%s\n", indent, p.Trf("see %s", res.Case.RFC))
	fmt.Fprintf(b, "%s%s\n", indent, trace.Wrap(p.Trf("want: %s", trace.Visible(res.Want.In(p))), o.Width, 6, 12))
	fmt.Fprintf(b, "%s%s\n", indent, trace.Wrap(p.Trf("got:  %s", trace.Visible(res.Got)), o.Width, 6, 12))
	if res.Outcome == Fail && len(res.Transcript) > 0 {
		r.writeTranscript(b, res.Transcript, o, indent)
	}
	b.WriteString("\n")
}

// writeTranscript renders a case's exchange, every line annotated, indented.
func (r *Report) writeTranscript(b *bytes.Buffer, events []trace.Event, o WriteOptions, indent string) {
	var t bytes.Buffer
	width := o.Width
	if width > 0 {
		width = max(width-len(indent), 40)
	}
	render, err := trace.NewRenderer(&t, "text", trace.RenderOptions{Color: o.Color, NoSteps: true, Width: width, Lang: o.Lang})
	if err != nil {
		return
	}
	ann := trace.NewAnnotatorIn(o.Lang)
	for _, e := range events {
		ann.Annotate(&e)
		render.Render(e)
	}
	render.Close()
	for _, line := range strings.SplitAfter(strings.TrimRight(t.String(), "\n"), "\n") {
		b.WriteString(indent)
		b.WriteString(strings.TrimSuffix(line, "\n"))
		b.WriteString("\n")
	}
}

// offeredList is what the server offered, sorted.
func (r *Report) offeredList() string {
	var names []string
	for name, on := range r.Offered {
		if on && !internalNeed(name) {
			names = append(names, trace.Visible(name))
		}
	}
	slices.Sort(names)
	return strings.Join(names, " ")
}

// internalNeed reports whether a need is the check's own (a login,
// messages), not something the server offered.
func internalNeed(name string) bool {
	switch name {
	case needLogin, needMessages, needTwo, needOurs:
		return true
	}
	return strings.HasPrefix(name, "AUTH=") // AUTH's mechanisms: the AUTH line says them
}

// jsonReport is the JSON form of a report.
type jsonReport struct {
	Proto   string       `json:"proto"`
	Addr    string       `json:"addr"`
	OK      bool         `json:"ok"`
	Score   string       `json:"score"`
	Counts  jsonCounts   `json:"counts"`
	Offered []string     `json:"offered"`
	Cases   []jsonResult `json:"cases"`
}

type jsonCounts struct {
	Pass int `json:"pass"`
	Fail int `json:"fail"`
	Warn int `json:"warn"`
	Skip int `json:"skip"`
}

type jsonResult struct {
	ID         string `json:"id"`
	Level      Level  `json:"level"`
	RFC        string `json:"rfc"`
	What       string `json:"what"`
	Outcome    string `json:"outcome"`
	Want       string `json:"want,omitempty"`
	Got        string `json:"got,omitempty"`
	Transcript []any  `json:"transcript,omitempty"`
}

func (r *Report) writeJSON(w io.Writer, o WriteOptions) error {
	p := o.Lang
	pass, fail, warn, skip := r.Counts()
	out := jsonReport{Proto: r.Proto, Addr: r.Addr, OK: r.OK(), Score: r.Score(p),
		Counts: jsonCounts{pass, fail, warn, skip}, Offered: strings.Fields(r.offeredList()), Cases: []jsonResult{}}
	ann := trace.NewAnnotatorIn(p)
	for _, res := range r.Results {
		jr := jsonResult{ID: res.Case.ID, Level: res.Case.Level, RFC: res.Case.RFC, What: p.Tr(res.Case.What),
			Outcome: string(res.Outcome), Want: trace.Visible(res.Want.In(p)), Got: trace.Visible(res.Got)}
		if res.Outcome == Fail || res.Outcome == Warn {
			for _, e := range res.Transcript {
				ann.Annotate(&e)
				jr.Transcript = append(jr.Transcript, trace.JSONIn(p, e))
			}
		}
		out.Cases = append(out.Cases, jr)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// csvHeader names the columns of the CSV form.
var csvHeader = []string{"id", "level", "rfc", "outcome", "what", "want", "got"}

func (r *Report) writeCSV(w io.Writer, o WriteOptions) error {
	p := o.Lang
	cw := csv.NewWriter(w)
	cw.Write(csvHeader)
	for _, res := range r.Results {
		cw.Write([]string{res.Case.ID, string(res.Case.Level), res.Case.RFC, string(res.Outcome),
			p.Tr(res.Case.What), trace.CSVCell(trace.Visible(res.Want.In(p))), trace.CSVCell(trace.Visible(res.Got))})
	}
	cw.Flush()
	return cw.Error()
}
