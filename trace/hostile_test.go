package trace

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"maillab/trace/decode"
)

// FuzzRenderersShowNoControls feeds any bytes as a command, a reply, a
// header, a body line and an AUTH answer through the annotator and the
// renderers for people: nothing a terminal could obey comes out.
func FuzzRenderersShowNoControls(f *testing.F) {
	for _, seed := range []string{"EHLO x\x1b]2;PWNED\x07", "\x1b[2J", "\rS: 250 forged", "=?UTF-8?B?G10wO1BXTkVEBw==?=", "\u202eexe.pdf", "\x9b31m", "\xff\xfe"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		turns := []turn{s("220 srv"), c(input), s("500 " + input), c("AUTH LOGIN"), s("334 VXNlcm5hbWU6"), c(input),
			c("DATA"), s("354 go"), c("Subject: " + input), c("X: =?UTF-8?Q?" + input + "?="), c(""), c(input), c("."), s("250 ok")}
		events := through(SMTP, "s"+input, turns...)
		events = append(events, through(POP3, input, s("+OK "+input), c("RETR 1"), s("+OK"), s(input), s("."))...)
		events = append(events, Event{Kind: Internal, Action: Bounced, From: input, Facts: &Facts{QueueID: input, Reason: input, Recipients: []string{input}}})
		ann := NewAnnotator()
		for _, opts := range []RenderOptions{{}, {Color: true}, {Wiretap: true}} {
			for _, format := range []string{"text", "markdown"} {
				var out bytes.Buffer
				r, _ := NewRenderer(&out, format, opts)
				for _, e := range events {
					ann.Annotate(&e)
					r.Render(e)
				}
				r.Close()
				if err := CheckVisible(out.Bytes()); err != nil {
					t.Fatalf("%s %+v: %v in\n%q", format, opts, err, out.String())
				}
			}
		}
	})
}

// TestFoldedHeadersTakeLinearTime: a header folded over thousands of
// lines costs the same per line whether it has 2,000 lines or 20,000
// (its value is kept up to 4 KiB and read once).
func TestFoldedHeadersTakeLinearTime(t *testing.T) {
	perLine := func(n int) float64 {
		events := through(SMTP, "s1", c("DATA"), c("Content-Type: text/plain;"))
		for i := 0; i < n; i++ { // made by hand: a Tap would leave out all but 500
			events = append(events, Event{Proto: SMTP, Kind: Data, Dir: FromClient, Session: "s1", From: "cli", To: "srv", Line: "\tx-param-" + strings.Repeat("a", 5) + "=1;"})
		}
		res := testing.Benchmark(func(b *testing.B) {
			for b.Loop() {
				a := NewAnnotator()
				for _, e := range events {
					a.Annotate(&e)
				}
			}
		})
		return float64(res.NsPerOp()) / float64(n)
	}
	small, large := perLine(2000), perLine(20000)
	if large > 3*small {
		t.Errorf("%.0f ns per folded line at 2,000 lines, %.0f at 20,000: not linear", small, large)
	}
	t.Logf("%.0f ns per folded line at 2,000 lines, %.0f at 20,000", small, large)
}

func TestEscaper(t *testing.T) {
	var out bytes.Buffer
	e := NewEscaper(&out)
	e.Write([]byte("one \x1b[2J\nt"))
	e.Write([]byte("wo\u202e\n"))
	e.Write([]byte("\xe9\x82"))
	e.Write([]byte("\xae tail"))
	e.Close()
	if got, want := out.String(), "one \\x1b[2J\ntwo\\u202e\n邮 tail"; got != want {
		t.Errorf("escaped %q, want %q", got, want)
	}
}

// TestEscaperGrowsALineInPlace: a line that arrives in many small
// writes is appended to, not copied whole at every write (which made a
// 64 KiB line cost 2 GB of copying one byte at a time).
func TestEscaperGrowsALineInPlace(t *testing.T) {
	e := NewEscaper(io.Discard)
	e.Write([]byte("start of a long line "))
	piece := []byte("x")
	if n := testing.AllocsPerRun(1000, func() { e.Write(piece) }); n >= 0.5 {
		t.Errorf("%.2f allocations per write of an unfinished line", n)
	}
}

// visibleByRune is Visible as it was first written, rune by rune: the
// fast one must say exactly the same.
func visibleByRune(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x20 && r != '\t', r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r <= 0x9f, decode.IsBidiControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// FuzzVisibleMatchesReference: Visible, which copies runs of safe text
// at once, escapes exactly as the rune-by-rune version.
func FuzzVisibleMatchesReference(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[2J", "邮件\u202e测试", "a\x80b\xffc", "\t\x7f\u0085", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Visible(s), visibleByRune(s); got != want {
			t.Fatalf("Visible(%q) = %q, want %q", s, got, want)
		}
	})
}

// BenchmarkVisibleChinese escapes a line of Chinese text with nothing to
// escape, as decode's output mostly is.
func BenchmarkVisibleChinese(b *testing.B) {
	line := strings.Repeat("简单的邮件发送测试！", 20)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		Visible(line)
	}
}

// BenchmarkVisibleChineseByRune is BenchmarkVisibleChinese for the
// rune-by-rune version, to compare.
func BenchmarkVisibleChineseByRune(b *testing.B) {
	line := strings.Repeat("简单的邮件发送测试！", 20)
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		visibleByRune(line)
	}
}
