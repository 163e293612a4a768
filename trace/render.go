package trace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/fatih/color"

	"maillab/trace/i18n"
	"maillab/trace/proto"
)

// Renderer writes Events out as they come. Close ends the output (a
// Markdown fence, say). Renderers are safe for concurrent use.
//
// The text and Markdown renderers show every line and note through
// Visible, so a client's control characters never reach a terminal or a
// page raw; the JSON renderer keeps them exact (JSON escapes them).
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
	NoSteps bool // no step headings or marks (practice and lessons, outside the six-step flow)
	Width   int  // wrap notes to this many columns (text and Markdown); 0: never wrap
	Verbose bool // wiretap labels name the client's address too
	// Lang is the language of maillab's own words (step titles, the
	// sentences of internal events); nil: English. Notes come in the
	// language of the Annotator that wrote them.
	Lang *i18n.Printer
}

// NewRenderer returns a Renderer for format ("text", "json" or
// "markdown") writing to w.
func NewRenderer(w io.Writer, format string, opts RenderOptions) (Renderer, error) {
	switch format {
	case "text", "":
		return &textRenderer{w: w, opts: opts, pal: newPalette(opts.Color), seen: map[int]bool{}}, nil
	case "json":
		return &jsonRenderer{enc: json.NewEncoder(w), p: opts.Lang}, nil
	case "markdown", "md":
		return &markdownRenderer{w: w, opts: opts, seen: map[int]bool{}}, nil
	}
	return nil, i18n.Errorf("unknown format %q (choose %s)", format, strings.Join(Formats, ", "))
}

// shown reports whether a renderer for people shows e: a closed
// connection is for consumers that forget sessions, not for readers.
func shown(e Event) bool { return e.Action != Closed }

// StepHeadingIn is the heading of a step, naming who talks to whom, in
// p's language.
func StepHeadingIn(p *i18n.Printer, e Event) string {
	from, fromRole, to, toRole := e.Client(), e.ClientRole(), e.Server(), Role("")
	if e.Dir == "" { // an action: who acts on what
		from, fromRole, to, toRole = e.From, e.FromRole, e.To, e.ToRole
	}
	who := Party(p, from, fromRole)
	if to != "" {
		who += " → " + Party(p, to, toRole)
	}
	return Visible(StepMark(StepOf(e)) + " " + who)
}

// StepTitle says in a line what happens in a step, in p's language.
func StepTitle(p *i18n.Printer, step int) string {
	if step < 1 || step >= len(StepTitles) {
		return ""
	}
	return i18n.Or(p).Tr(StepTitles[step])
}

// Party names a party of an event in p's language, from its name and
// what the name is: an account's mailbox ("bbb@sina.com's mailbox"), a
// name of maillab's own ("you"), or a name as it is (an address, a
// server).
func Party(p *i18n.Printer, name string, role Role) string {
	switch role {
	case RoleClient:
		return i18n.Or(p).Trf("the client at %s", name)
	case RoleMailbox:
		return i18n.Or(p).Trf("%s's mailbox", name)
	case RoleSelf:
		return i18n.Or(p).Tr(name)
	}
	return name
}

// --- text ---

type palette struct {
	on                                                               bool
	client, server2, server3, server4, server5, internal, note, head *color.Color
}

// write writes text in colour c (none when c is nil or colour is off).
func (p palette) write(b *bytes.Buffer, c *color.Color, text ...string) {
	if c == nil || !p.on {
		for _, t := range text {
			b.WriteString(t)
		}
		return
	}
	b.WriteString(c.Sprint(strings.Join(text, "")))
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
		on:       on,
		client:   mk(color.FgCyan, color.Bold),
		server2:  mk(color.FgGreen),
		server3:  mk(color.FgYellow),
		server4:  mk(color.FgMagenta),
		server5:  mk(color.FgRed, color.Bold),
		internal: mk(color.FgBlue),
		note:     mk(color.Faint),
		head:     mk(color.Bold, color.Underline),
	}
}

// reply picks a server line's colour by its status: success, more
// input wanted, temporary or permanent failure.
func (p palette) reply(status string) *color.Color {
	switch {
	case status == "+OK", strings.HasPrefix(status, "2"):
		return p.server2
	case strings.HasPrefix(status, "3"):
		return p.server3
	case strings.HasPrefix(status, "4"):
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
	buf  bytes.Buffer // reused for every line
}

func (r *textRenderer) Render(e Event) error {
	if !shown(e) {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	b := &r.buf
	b.Reset()
	r.heading(b, e)
	start := b.Len()
	r.tag(b, e)
	text := Visible(DescribeIn(r.opts.Lang, e))
	prefix := bytesWidth(b.Bytes()[start:])
	lineWidth := prefix + DisplayWidth(text)
	if e.Kind == Internal && r.opts.Width > 0 && lineWidth > r.opts.Width {
		// an action's sentence is prose: it wraps under itself (a
		// protocol line never does), and its note goes below it
		text, lineWidth = Wrap(text, r.opts.Width, prefix, prefix), r.opts.Width
	}
	r.pal.write(b, r.colour(e), text)
	if e.Note != "" {
		writeNote(b, lineWidth, r.opts.Width, e.Note, r.pal, r.pal.note)
	}
	b.WriteString("\n")
	_, err := r.w.Write(b.Bytes())
	return err
}

// Heading writes the heading of e's step now, if a line of e would, so
// that it is on screen while the class waits for Enter.
func (r *textRenderer) Heading(e Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := &r.buf
	b.Reset()
	r.heading(b, e)
	_, err := r.w.Write(b.Bytes())
	return err
}

// heading writes a step's heading when e starts a step: its mark, who
// talks to whom and what happens; "continued" when the step comes back.
func (r *textRenderer) heading(b *bytes.Buffer, e Event) {
	step := StepOf(e)
	if r.opts.Wiretap || r.opts.NoSteps || step == r.step || step == 0 {
		return
	}
	if r.seen[step] {
		fmt.Fprintf(b, "%s\n", r.pal.head.Sprint(i18n.Or(r.opts.Lang).Trf("%s continued", StepMark(step))))
	} else {
		fmt.Fprintf(b, "\n%s\n", r.pal.head.Sprint(StepHeadingIn(r.opts.Lang, e)))
		room := 0
		if r.opts.Width > 0 {
			room = max(r.opts.Width-3, 20)
		}
		for _, l := range wrapWords(StepTitle(r.opts.Lang, step), room) {
			fmt.Fprintf(b, "   %s\n", r.pal.note.Sprint(l))
		}
	}
	r.step, r.seen[step] = step, true
}

// tag writes what comes before a line: "C: ", "S: ", "*  ", or in
// wiretap mode the step and session.
func (r *textRenderer) tag(b *bytes.Buffer, e Event) {
	if !r.opts.Wiretap {
		b.WriteString("  ")
		b.WriteString(lineTag(e))
		return
	}
	mark := StepMark(StepOf(e))
	if mark == "" || r.opts.NoSteps {
		mark = " "
	}
	b.WriteString(mark)
	b.WriteString(" ")
	if e.Kind == Internal && e.Proto == "" {
		b.WriteString(Visible(e.From))
		b.WriteString(" * ")
		return
	}
	writeSessionLabel(b, r.opts.Lang, &e, r.opts.Verbose)
	switch {
	case e.Dir == FromServer && e.TLS:
		b.WriteString(" <~ ")
	case e.Dir == FromServer:
		b.WriteString(" < ")
	case e.TLS:
		b.WriteString(" ~> ")
	default:
		b.WriteString(" > ")
	}
	b.WriteString(Visible(e.Server()))
	b.WriteString("  ")
}

// writeSessionLabel names a session for people, escaped: its id, the
// account it logged in as (once it has), and with verbose the client's
// address; a session without an id is named by its client.
func writeSessionLabel(b *bytes.Buffer, p *i18n.Printer, e *Event, verbose bool) {
	if e.Session == "" {
		b.WriteString(Visible(Party(p, e.Client(), e.ClientRole())))
		return
	}
	b.WriteString(Visible(e.Session))
	if e.Account != "" {
		b.WriteString(" ")
		b.WriteString(Visible(e.Account))
	}
	if verbose && e.Client() != "" {
		b.WriteString(" ")
		b.WriteString(Visible(Party(p, e.Client(), e.ClientRole())))
	}
}

// lineTag marks who a line is from: "C: " client, "S: " server, "*  " the
// sandbox itself; "C~ " and "S~ " for lines that crossed the wire
// encrypted (as swaks marks them).
func lineTag(e Event) string {
	switch {
	case e.Kind == Internal:
		return "*  "
	case e.Dir == FromClient && e.TLS:
		return "C~ "
	case e.Dir == FromClient:
		return "C: "
	case e.TLS:
		return "S~ "
	default:
		return "S: "
	}
}

// colour picks a line's colour; message data keeps the terminal's own, so
// it reads on light and dark backgrounds alike.
func (r *textRenderer) colour(e Event) *color.Color {
	switch {
	case e.Kind == Internal:
		return r.pal.internal
	case e.Kind == Data:
		return nil
	case e.Dir == FromClient:
		return r.pal.client
	default:
		return r.pal.reply(e.Status)
	}
}

func (r *textRenderer) Close() error { return nil }

// --- JSON lines ---

type jsonRenderer struct {
	mu  sync.Mutex
	enc *json.Encoder
	p   *i18n.Printer
}

// jsonEvent is one line of --format json: the eight keys every event has,
// then those that apply to it.
type jsonEvent struct {
	Time      time.Time   `json:"time"`
	Step      int         `json:"step"`
	Proto     proto.Name  `json:"proto"`
	From      string      `json:"from"`
	To        string      `json:"to"`
	Kind      Kind        `json:"kind"`
	Line      string      `json:"line"`
	Note      string      `json:"note"`
	FromRole  Role        `json:"from_role,omitempty"`
	ToRole    Role        `json:"to_role,omitempty"`
	Dir       Dir         `json:"dir,omitempty"`
	Session   string      `json:"session,omitempty"`
	Account   string      `json:"account,omitempty"`
	Claimed   string      `json:"claimed,omitempty"`
	Login     proto.Login `json:"login,omitempty"`
	TLS       bool        `json:"tls,omitempty"`
	Status    string      `json:"status,omitempty"`
	Reply     proto.Key   `json:"reply,omitempty"`
	Verb      string      `json:"verb,omitempty"`
	Final     bool        `json:"final,omitempty"`
	Ends      bool        `json:"ends,omitempty"`
	Field     string      `json:"field,omitempty"`
	Message   string      `json:"message,omitempty"`
	BounceOf  string      `json:"bounce_of,omitempty"`
	Sender    string      `json:"sender,omitempty"`
	Recipient string      `json:"recipient,omitempty"`
	Action    Action      `json:"action,omitempty"`
	Facts     *Facts      `json:"facts,omitempty"`
}

// JSONIn returns the --format json form of e, the sentences of internal
// events in p's language (nil: English).
func JSONIn(p *i18n.Printer, e Event) any {
	j := jsonEvent{
		Time: e.Time, Step: StepOf(e), Proto: e.Proto, From: e.From, To: e.To, FromRole: e.FromRole, ToRole: e.ToRole,
		Kind: e.Kind, Line: DescribeIn(p, e), Note: e.Note, Dir: e.Dir, Session: e.Session,
		Account: e.Account, Claimed: e.Claimed, Login: e.Login, TLS: e.TLS, Status: e.Status, Reply: e.Reply,
		Verb: Visible(e.Verb), Final: e.Final, Ends: e.Ends, Message: e.Message, BounceOf: e.BounceOf, Sender: e.Sender, Recipient: e.Recipient, Action: e.Action, Facts: e.Facts,
	}
	if c := e.Content; c != nil && c.Header && !c.Folded {
		j.Field = c.Field
	}
	if f := e.Facts; f != nil && f.Why != nil {
		localized := *f
		localized.Reason = f.ReasonIn(p) // maillab's own error, in the reader's language
		j.Facts = &localized
	}
	return j
}

func (r *jsonRenderer) Render(e Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.enc.Encode(JSONIn(r.p, e))
}

func (r *jsonRenderer) Close() error { return nil }

// --- Markdown ---

type markdownRenderer struct {
	mu      sync.Mutex
	w       io.Writer
	opts    RenderOptions
	step    int
	seen    map[int]bool // steps whose heading has been written
	inFence bool
}

func (r *markdownRenderer) Render(e Event) error {
	if !shown(e) {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	if step := StepOf(e); step != r.step && !r.opts.NoSteps {
		r.closeFence(&b)
		switch {
		case step == 0:
		case r.seen[step]:
			fmt.Fprintf(&b, "\n*%s*\n", i18n.Or(r.opts.Lang).Trf("%s continued", StepMark(step)))
		default:
			fmt.Fprintf(&b, "\n## %s\n\n%s\n", StepHeadingIn(r.opts.Lang, e), i18n.Or(r.opts.Lang).Sentence(StepTitle(r.opts.Lang, step)))
		}
		r.step, r.seen[step] = step, true
	}
	if !r.inFence {
		b.WriteString("\n````text\n")
		r.inFence = true
	}
	if e.Action == MXLookup && e.Facts != nil {
		f := *e.Facts
		f.Addr = "" // a handout has no use for this run's throwaway port
		e.Facts = &f
	}
	line := lineTag(e) + Visible(DescribeIn(r.opts.Lang, e))
	var lb bytes.Buffer
	lb.WriteString(line)
	if e.Note != "" {
		writeNote(&lb, DisplayWidth(line), r.opts.Width, e.Note, palette{}, nil)
	}
	b.WriteString(lb.String() + "\n")
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

// NormalizeTime sets every Event's time to a fixed instant plus its index in
// milliseconds, for golden files.
func NormalizeTime(events []Event) {
	base := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range events {
		events[i].Time = base.Add(time.Duration(i) * time.Millisecond)
	}
}
