package trace

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"
)

// Renderer writes Events out as they come. Close ends the output (a
// Markdown fence, say). Renderers are safe for concurrent use.
type Renderer interface {
	Render(e Event) error
	Close() error
}

// Formats lists the output formats NewRenderer knows.
var Formats = []string{"text", "json", "markdown"}

// RenderOptions tune a Renderer.
type RenderOptions struct {
	Color   bool // ANSI colour (text format only)
	Wiretap bool // label every line with its session instead of grouping by step
}

// NewRenderer returns a Renderer for format ("text", "json" or
// "markdown") writing to w.
func NewRenderer(w io.Writer, format string, opts RenderOptions) (Renderer, error) {
	switch format {
	case "text", "":
		return &textRenderer{w: w, opts: opts, pal: newPalette(opts.Color), seen: map[int]bool{}}, nil
	case "json":
		return &jsonRenderer{enc: json.NewEncoder(w)}, nil
	case "markdown", "md":
		return &markdownRenderer{w: w, seen: map[int]bool{}}, nil
	}
	return nil, fmt.Errorf("unknown format %q (choose %s)", format, strings.Join(Formats, ", "))
}

// StepMarks are the circled numbers of the six steps.
var StepMarks = [...]string{"", "①", "②", "③", "④", "⑤", "⑥"}

// StepTitles say in a line what happens in each of the six steps.
var StepTitles = [...]string{
	"",
	"the sender's mail program hands the message to its own provider (SMTP)",
	"the provider sees the recipient lives elsewhere, looks up that domain and relays (SMTP)",
	"the recipient's provider stores the message in the mailbox",
	"the recipient's mail program logs in to its provider's POP3 server",
	"the POP3 server looks into the mailbox",
	"the POP3 server hands the message over and the client says goodbye (POP3)",
}

// StepMark returns the circled number of a step, or "" outside the flow.
func StepMark(step int) string {
	if step < 1 || step >= len(StepMarks) {
		return ""
	}
	return StepMarks[step]
}

// speakers returns who talks to whom for a step header: the client first.
func speakers(e Event) (string, string) {
	if e.Kind == Reply || e.Kind == Data && e.Proto == "POP3" {
		return e.To, e.From
	}
	return e.From, e.To
}

// StepHeading is the heading of a step, naming who talks to whom.
func StepHeading(e Event) string {
	client, server := speakers(e)
	who := client
	if server != "" {
		who += " → " + server
	}
	return StepMark(e.Step) + " " + who
}

// --- text ---

type palette struct {
	client, server2, server3, server4, server5, internal, note, head, data *color.Color
}

func newPalette(on bool) palette {
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		if on {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return palette{
		client:   mk(color.FgCyan, color.Bold),
		server2:  mk(color.FgGreen),
		server3:  mk(color.FgYellow),
		server4:  mk(color.FgMagenta),
		server5:  mk(color.FgRed, color.Bold),
		internal: mk(color.FgBlue),
		note:     mk(color.Faint),
		head:     mk(color.Bold, color.Underline),
		data:     mk(color.FgWhite),
	}
}

// reply picks a server line's colour by its class.
func (p palette) reply(line string) *color.Color {
	switch {
	case strings.HasPrefix(line, "+OK"), strings.HasPrefix(line, "2"):
		return p.server2
	case strings.HasPrefix(line, "3"):
		return p.server3
	case strings.HasPrefix(line, "4"):
		return p.server4
	default:
		return p.server5
	}
}

type textRenderer struct {
	mu   sync.Mutex
	w    io.Writer
	opts RenderOptions
	pal  palette
	step int          // the step of the last line
	seen map[int]bool // steps whose heading has been written
}

// noteColumn is where notes start, when the line is short enough.
const noteColumn = 44

func (r *textRenderer) Render(e Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	if !r.opts.Wiretap && e.Step != r.step && e.Step != 0 {
		if r.seen[e.Step] {
			fmt.Fprintf(&b, "%s\n", r.pal.head.Sprint(StepMark(e.Step)+" continued"))
		} else {
			fmt.Fprintf(&b, "\n%s\n   %s\n", r.pal.head.Sprint(StepHeading(e)), r.pal.note.Sprint(StepTitles[e.Step]))
		}
		r.step, r.seen[e.Step] = e.Step, true
	}
	prefix, line := r.tag(e), r.colourLine(e)
	width := len([]rune(prefix)) + len([]rune(e.Line))
	b.WriteString(prefix + line)
	if e.Note != "" {
		if width < noteColumn {
			b.WriteString(strings.Repeat(" ", noteColumn-width))
		} else {
			b.WriteString("\n" + strings.Repeat(" ", noteColumn))
		}
		b.WriteString(r.pal.note.Sprint("# " + e.Note))
	}
	b.WriteString("\n")
	_, err := io.WriteString(r.w, b.String())
	return err
}

// tag is what comes before a line: "C: ", "S: ", "*  ", or in wiretap
// mode the step and session.
func (r *textRenderer) tag(e Event) string {
	if r.opts.Wiretap {
		mark := StepMark(e.Step)
		if mark == "" {
			mark = " "
		}
		if e.Kind == Internal {
			return fmt.Sprintf("%s %s * ", mark, e.From)
		}
		client, server := speakers(e)
		arrow := ">"
		if client != e.From {
			arrow = "<"
		}
		session := e.Session
		if session == "" {
			session = client
		}
		return fmt.Sprintf("%s %s %s %s  ", mark, session, arrow, server)
	}
	return "  " + lineTag(e)
}

// lineTag marks who a line is from: "C: " client, "S: " server, "*  " the
// sandbox itself.
func lineTag(e Event) string {
	client, _ := speakers(e)
	switch {
	case e.Kind == Internal:
		return "*  "
	case e.From == client:
		return "C: "
	default:
		return "S: "
	}
}

func (r *textRenderer) colourLine(e Event) string {
	client, _ := speakers(e)
	switch {
	case e.Kind == Internal:
		return r.pal.internal.Sprint(e.Line)
	case e.Kind == Data:
		return r.pal.data.Sprint(e.Line)
	case e.From == client:
		return r.pal.client.Sprint(e.Line)
	default:
		return r.pal.reply(e.Line).Sprint(e.Line)
	}
}

func (r *textRenderer) Close() error { return nil }

// --- JSON lines ---

type jsonRenderer struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (r *jsonRenderer) Render(e Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.enc.Encode(e)
}

func (r *jsonRenderer) Close() error { return nil }

// --- Markdown ---

type markdownRenderer struct {
	mu      sync.Mutex
	w       io.Writer
	step    int
	seen    map[int]bool // steps whose heading has been written
	inFence bool
}

func (r *markdownRenderer) Render(e Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	if e.Step != r.step {
		r.closeFence(&b)
		switch {
		case e.Step == 0:
		case r.seen[e.Step]:
			fmt.Fprintf(&b, "\n*%s continued*\n", StepMark(e.Step))
		default:
			fmt.Fprintf(&b, "\n## %s\n\n%s.\n", StepHeading(e), upperFirst(StepTitles[e.Step]))
		}
		r.step, r.seen[e.Step] = e.Step, true
	}
	if !r.inFence {
		b.WriteString("\n````text\n")
		r.inFence = true
	}
	line := lineTag(e) + e.Line
	if e.Note != "" {
		line += strings.Repeat(" ", max(1, noteColumn-len([]rune(line)))) + "# " + e.Note
	}
	b.WriteString(line + "\n")
	_, err := io.WriteString(r.w, b.String())
	return err
}

func (r *markdownRenderer) closeFence(b *strings.Builder) {
	if r.inFence {
		b.WriteString("````\n")
		r.inFence = false
	}
}

func (r *markdownRenderer) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	r.closeFence(&b)
	_, err := io.WriteString(r.w, b.String())
	return err
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// NormalizeTime sets every Event's time to a fixed instant plus its index in
// milliseconds, for golden files.
func NormalizeTime(events []Event) {
	base := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range events {
		events[i].Time = base.Add(time.Duration(i) * time.Millisecond)
	}
}
