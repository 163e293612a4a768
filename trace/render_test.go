package trace_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"maillab/sandbox/play"
	"maillab/trace"
	"maillab/trace/i18n"
)

var (
	update = flag.Bool("update", false, "rewrite the golden files from the recorded events")
	record = flag.Bool("record", false, "re-record the events (testdata/play*-events.json) from real play runs, then rewrite the golden files")
)

// The fixtures: real play runs, in plaintext and with STARTTLS.
const (
	fixture    = "testdata/play-events.json"
	fixtureTLS = "testdata/play-tls-events.json"
)

// recordedEvents returns the Events of a real play run: recorded afresh
// with -record, read from the fixture otherwise (so goldens are stable).
func recordedEvents(t testing.TB) []trace.Event { return recorded(t, fixture, "") }

// recorded returns the Events of a real play run with the TLS mode
// (see play.Options), kept in file.
func recorded(t testing.TB, file, tls string) []trace.Event {
	t.Helper()
	if *record {
		*update = true
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		for _, e := range playLive(t, tls) {
			enc.Encode(e)
		}
		if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./trace -record to record it)", err)
	}
	var events []trace.Event
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var e trace.Event
		if err := dec.Decode(&e); err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	return events
}

// playLive runs play as the fixtures were recorded and returns its
// Events, their times made fixed.
func playLive(t testing.TB, tls string) []trace.Event {
	t.Helper()
	var mu sync.Mutex
	var events []trace.Event
	_, err := play.Run(context.Background(), play.Options{Subject: "邮件测试", Body: "hello gacl", TLS: tls, Sink: func(e trace.Event) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	trace.NormalizeTime(events)
	return events
}

// TestFixturesAreLive: the recorded events the goldens are rendered from
// are what play emits today, but for what changes from run to run (times,
// dates, queue ids, Message-IDs, ports, TLS records). A change to
// the events fails here until the fixtures are recorded again (-record),
// so the goldens never test the renderers on events the code no longer
// makes.
func TestFixturesAreLive(t *testing.T) {
	for _, f := range []struct{ file, tls string }{{fixture, ""}, {fixtureTLS, "starttls"}} {
		t.Run(f.file, func(t *testing.T) {
			live, kept := canonical(playLive(t, f.tls)), canonical(recorded(t, f.file, f.tls))
			if live != kept {
				t.Errorf("%s no longer matches what play emits (run go test ./trace -record if the change is intended):\n%s", f.file, firstDiff(live, kept))
			}
		})
	}
}

// volatile are the parts of an event that differ between two runs.
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}`), "DATE"},
	{regexp.MustCompile(`<\d+\.maillab@`), "<ID.maillab@"},
	{regexp.MustCompile(`(127\.0\.0\.1|\[::1\]):\d+`), "$1:PORT"},
}

// canonical renders events as JSON lines with what changes from run to
// run replaced: queue and store ids by their order of appearance, the
// rest by the patterns of volatile. Sessions run at once (the relay says
// goodbye while the sandbox acts), so each session's events, and the
// sandbox's own actions, are kept in order as groups, and the groups
// sorted.
func canonical(events []trace.Event) string {
	ids := map[string]string{}
	groups := map[string]*strings.Builder{}
	for _, e := range events {
		e.Time = time.Time{}
		if e.Facts != nil {
			f := *e.Facts
			for _, id := range []string{f.QueueID, f.StoreID} {
				if id != "" && ids[id] == "" {
					ids[id] = fmt.Sprintf("ID%d", len(ids)+1)
				}
			}
			e.Facts = &f
		}
		if e.Action == trace.Wire {
			continue // how reads and writes fall into TLS records changes from run to run
		}
		key := e.Session + "|" + string(e.Proto)
		if groups[key] == nil {
			groups[key] = &strings.Builder{}
		}
		enc := json.NewEncoder(groups[key])
		enc.SetEscapeHTML(false)
		enc.Encode(e)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(groups[k].String())
	}
	s := b.String()
	byLength := slices.Collect(maps.Keys(ids))
	slices.SortFunc(byLength, func(a, b string) int { return len(b) - len(a) }) // a store id may hold a queue id
	for _, id := range byLength {
		s = strings.ReplaceAll(s, id, ids[id])
	}
	for _, v := range volatile {
		s = v.re.ReplaceAllString(s, v.with)
	}
	return s
}

func TestRenderGolden(t *testing.T) {
	plain, encrypted := recordedEvents(t), recorded(t, fixtureTLS, "starttls")
	tests := []struct {
		golden string
		format string
		opts   trace.RenderOptions
		tls    bool
		zh     bool // notes and maillab's words in Chinese
	}{
		{"play.zh.text.golden", "text", trace.RenderOptions{Width: trace.DefaultWidth}, false, true},
		{"play.zh.text.120.golden", "text", trace.RenderOptions{Width: 120}, false, true},
		{"play.zh.json.golden", "json", trace.RenderOptions{}, false, true},
		{"play-tls.zh.text.golden", "text", trace.RenderOptions{Width: trace.DefaultWidth}, true, true},
		{"wiretap.zh.text.golden", "text", trace.RenderOptions{Wiretap: true, Width: trace.DefaultWidth}, false, true},
		{"play-tls.text.golden", "text", trace.RenderOptions{Width: trace.DefaultWidth}, true, false},
		{"play-tls.json.golden", "json", trace.RenderOptions{}, true, false},
		{"play.text.golden", "text", trace.RenderOptions{Width: trace.DefaultWidth}, false, false},
		{"play.color.golden", "text", trace.RenderOptions{Color: true, Width: trace.DefaultWidth}, false, false},
		{"play.json.golden", "json", trace.RenderOptions{}, false, false},
		{"play.markdown.golden", "markdown", trace.RenderOptions{Width: trace.DefaultWidth}, false, false},
		{"wiretap.text.golden", "text", trace.RenderOptions{Wiretap: true, Width: trace.DefaultWidth}, false, false},
		{"play.text.120.golden", "text", trace.RenderOptions{Width: 120}, false, false},
		{"play.text.50.golden", "text", trace.RenderOptions{Width: 50}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			var out bytes.Buffer
			var lang *i18n.Printer
			if tt.zh {
				lang = i18n.New(i18n.Chinese)
			}
			tt.opts.Lang = lang
			r, err := trace.NewRenderer(&out, tt.format, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			events := plain
			if tt.tls {
				events = encrypted
			}
			ann := trace.NewAnnotatorIn(lang)
			for _, e := range events {
				ann.Annotate(&e)
				if err := r.Render(e); err != nil {
					t.Fatal(err)
				}
			}
			r.Close()
			checkGolden(t, tt.golden, out.Bytes())
		})
	}
}

// checkGolden compares output with a golden file in testdata (-update
// rewrites it).
func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", golden)
	if *update {
		os.WriteFile(path, got, 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./trace -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test ./trace -update if the change is intended):\n%s", golden, firstDiff(string(got), string(want)))
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) && i < len(w); i++ {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, g[i], w[i])
		}
	}
	return "lengths differ"
}

func TestPlainHasNoEscapes(t *testing.T) {
	for _, name := range []string{"play.text.golden", "play.markdown.golden", "wiretap.text.golden"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte("\x1b[")) {
			t.Errorf("%s contains ANSI escape codes", name)
		}
	}
	color, _ := os.ReadFile("testdata/play.color.golden")
	if !bytes.Contains(color, []byte("\x1b[")) {
		t.Error("the colour rendering has no colour")
	}
}

func TestJSONKeys(t *testing.T) {
	data, err := os.ReadFile("testdata/play.json.golden")
	if err != nil {
		t.Fatal(err)
	}
	always := []string{"time", "step", "proto", "from", "to", "kind", "line", "note"}
	optional := map[string]bool{ // true: a play run has it
		"dir": true, "session": true, "reply": true, "action": true, "facts": true, "account": true, "login": true, "status": true,
		"message": true, "recipient": true, "sender": true, "field": true, "to_role": true, "from_role": true,
		"claimed": true, "bounce_of": false, "tls": false, "verb": true, "final": true, "ends": true,
	}
	seen := map[string]bool{}
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range always {
			if _, ok := m[k]; !ok {
				t.Errorf("JSON event lacks key %q: %s", k, line)
			}
		}
		for k := range m {
			seen[k] = true
			if !optional[k] && !slices.Contains(always, k) {
				t.Errorf("JSON event has an undocumented key %q: %s", k, line)
			}
		}
	}
	for k, inPlay := range optional {
		if inPlay && !seen[k] {
			t.Errorf("no event of a play run has the key %q", k)
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, err := trace.NewRenderer(&bytes.Buffer{}, "xml", trace.RenderOptions{}); err == nil || !strings.Contains(err.Error(), "text, json, markdown") {
		t.Errorf("err = %v", err)
	}
}

// BenchmarkWiretapLine annotates and renders one recorded play run per
// iteration, as the sandbox's wiretap does, into a buffer.
func BenchmarkWiretapLine(b *testing.B) { benchWiretap(b, nil) }

// BenchmarkWiretapLineChinese is BenchmarkWiretapLine with Chinese notes.
func BenchmarkWiretapLineChinese(b *testing.B) { benchWiretap(b, i18n.New(i18n.Chinese)) }

func benchWiretap(b *testing.B, lang *i18n.Printer) {
	events := recordedEvents(b)
	w := bufio.NewWriter(io.Discard)
	r, _ := trace.NewRenderer(w, "text", trace.RenderOptions{Wiretap: true, Width: trace.DefaultWidth, Lang: lang})
	sink := trace.Paced(r, trace.Pacing{Lang: lang})
	b.ResetTimer()
	for b.Loop() {
		for _, e := range events {
			sink(e)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(events)), "ns/event")
}

// TestNotesWrapToTheWidth: at any width, a note line fits (a protocol
// line is never cut, and a word longer than the room gets a line alone).
func TestNotesWrapToTheWidth(t *testing.T) {
	for name, width := range map[string]int{"play.text.50.golden": 50, "play.text.golden": 80, "play.text.120.golden": 120,
		"play.zh.text.golden": 80, "play.zh.text.120.golden": 120} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			trimmed := strings.TrimLeft(line, " ")
			protocol := strings.HasPrefix(trimmed, "C: ") || strings.HasPrefix(trimmed, "S: ") || strings.HasPrefix(trimmed, "*  ")
			if !protocol && trace.DisplayWidth(line) > width && strings.Contains(strings.TrimSpace(trimmed), " ") {
				t.Errorf("%s:%d is %d columns wide (> %d): %q", name, i+1, trace.DisplayWidth(line), width, line)
			}
		}
	}
}

// TestChineseNotesAlign: in Chinese, at 80 and 120 columns, every note
// starts at the note column (its "#" in column 45, display width counted,
// CJK characters two columns each), its continuation lines under its
// text, and no note line is wider than the width.
func TestChineseNotesAlign(t *testing.T) {
	for name, width := range map[string]int{"play.zh.text.golden": 80, "play.zh.text.120.golden": 120} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		notes := 0
		for i, line := range strings.Split(string(data), "\n") {
			hash := strings.Index(line, "# ")
			if hash < 0 || strings.HasPrefix(strings.TrimSpace(line), "#") && !strings.HasPrefix(line, "  ") {
				continue
			}
			before := line[:hash]
			if strings.TrimSpace(before) != "" && !strings.HasSuffix(before, "  ") {
				continue // a "# " inside a protocol line
			}
			notes++
			if col := trace.DisplayWidth(before); col != 44 {
				t.Errorf("%s:%d: the note starts at column %d, not 44: %q", name, i+1, col, line)
			}
			if w := trace.DisplayWidth(line[hash:]); 44+w > width {
				t.Errorf("%s:%d: the note ends at column %d (> %d)", name, i+1, 44+w, width)
			}
		}
		if notes < 50 {
			t.Errorf("%s: only %d notes found", name, notes)
		}
	}
}

// TestWiretapLineAllocations: a wiretap line whose note was seen before
// costs less than one allocation, whatever the note's length: the note is
// escaped and wrapped once, and the line is laid out in the renderer's
// buffer. (A busy sandbox renders some forty lines a message.)
func TestWiretapLineAllocations(t *testing.T) {
	events := recordedEvents(t)
	ann := trace.NewAnnotator()
	for i := range events {
		ann.Annotate(&events[i])
	}
	r, _ := trace.NewRenderer(io.Discard, "text", trace.RenderOptions{Wiretap: true, Width: trace.DefaultWidth})
	renderAll := func() {
		for _, e := range events {
			r.Render(e)
		}
	}
	renderAll() // the notes' first time
	perLine := testing.AllocsPerRun(20, renderAll) / float64(len(events))
	if perLine > 0.9 {
		t.Errorf("%.2f allocations a line, want at most 0.9", perLine)
	}
}
