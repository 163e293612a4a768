package trace

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzWrapWords: wrapping keeps every character but the spaces it breaks
// at, and no line is wider than the room unless it holds one unit (a word
// or a character with its marks) that is.
func FuzzWrapWords(f *testing.F) {
	for _, s := range []string{
		"扩展 SIZE：最大可接收 10485760 字节的邮件",
		"hello, I am 'gacl': and which extensions do you support? (ESMTP)",
		"“Username:”的 Base64 编码：服务器要你给出用户名，同样用 Base64",
		"（（（（，，，，。。。）））",
	} {
		f.Add(s, 20)
	}
	f.Fuzz(func(t *testing.T, text string, room int) {
		if !utf8.ValidString(text) {
			return // notes are escaped (Visible) before they are wrapped
		}
		room = int(uint(room)%60) + 1
		lines := wrapWords(text, room)
		squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
		if got, want := squash(strings.Join(lines, "")), squash(text); got != want {
			t.Fatalf("wrapping %q at %d lost text: %q", text, room, lines)
		}
		if DisplayWidth(text) <= room {
			return
		}
		for _, l := range lines {
			if DisplayWidth(l) > room && len(breakUnits(l)) > 1 {
				t.Fatalf("line %q is wider than %d (from %q)", l, room, text)
			}
		}
	})
}

func TestWrapChinese(t *testing.T) {
	lines := wrapWords("扩展 ENHANCEDSTATUSCODES：应答带有 2.1.5 这样的增强状态码，更准确地说明发生了什么", 34)
	for _, l := range lines {
		if DisplayWidth(l) > 34 {
			t.Errorf("%q is %d columns", l, DisplayWidth(l))
		}
		if strings.HasPrefix(l, "，") || strings.HasPrefix(l, "：") || strings.HasPrefix(l, "。") {
			t.Errorf("%q starts with a closing mark", l)
		}
	}
}

// TestWrap: prose wraps to the width with a hanging indent, in English
// and Chinese; a token wider than the room (a URL) keeps its own line
// whole; paragraphs are joined and rewrapped, code left alone.
func TestWrap(t *testing.T) {
	tests := []struct {
		name                string
		text                string
		width, first, inden int
		want                string
	}{
		{"fits", "short", 20, 0, 2, "short"},
		{"english", "one two three four five six", 14, 0, 2, "one two three\n  four five\n  six"},
		{"after a prefix", "one two three four", 12, 8, 8, "one\n        two\n        three\n        four"},
		{"indented less than the prefix", "one two three four five", 16, 10, 2, "one\n  two three four\n  five"},
		{"chinese", "邮件客户端把邮件交给服务商，服务商再转发", 16, 0, 0, "邮件客户端把邮件\n交给服务商，服务\n商再转发"},
		{"a url stays whole", "see https://example.org/a/very/long/path/indeed for more", 20, 0, 2, "see\n  https://example.org/a/very/long/path/indeed\n  for more"},
	}
	for _, tt := range tests {
		if got := Wrap(tt.text, tt.width, tt.first, tt.inden); got != tt.want {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, got, tt.want)
		}
	}
	text := "A paragraph that\nwas hard-wrapped at\nodd places.\n\n    code stays\n    as it is\n\n中文的段落\n接着写"
	want := "A paragraph that was hard-wrapped\nat odd places.\n\n    code stays\n    as it is\n\n中文的段落接着写"
	if got := WrapParagraphs(text, 34); got != want {
		t.Errorf("WrapParagraphs: got\n%s\nwant\n%s", got, want)
	}
}

// FuzzWrap: Wrap loses nothing but spaces, and no line is wider than the
// width unless it holds one unbreakable unit.
func FuzzWrap(f *testing.F) {
	f.Add("扩展 SIZE：最大可接收 10485760 字节的邮件 and some English words too", 30, 4)
	f.Fuzz(func(t *testing.T, text string, width, indent int) {
		if !utf8.ValidString(text) || strings.ContainsAny(text, "\n\r") {
			return
		}
		width, indent = int(uint(width)%100)+12, int(uint(indent)%10)
		out := Wrap(text, width, 0, indent)
		squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
		if squash(out) != squash(text) {
			t.Fatalf("wrapping %q lost text: %q", text, out)
		}
		for _, l := range strings.Split(out, "\n") {
			if DisplayWidth(l) > width && len(breakUnits(strings.TrimSpace(l))) > 1 {
				t.Fatalf("line %q is wider than %d", l, width)
			}
		}
	})
}

// displayWidthByRune is DisplayWidth without its ASCII shortcut.
func displayWidthByRune(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func TestDisplayWidth(t *testing.T) {
	for _, tc := range []struct {
		text string
		want int
	}{
		{"", 0},
		{"250 2.1.0 sender OK", 19},
		{"扩展 SIZE", 9},
		{"250 邮件已收到", 14},
		{"Ünïcode", 7},
		{"\xff\xfe", 2}, // invalid UTF-8: each octet a column (escaped later)
		{"ｆｕｌｌ", 8},
	} {
		if got := DisplayWidth(tc.text); got != tc.want {
			t.Errorf("DisplayWidth(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}

// FuzzDisplayWidth: the ASCII shortcut, and the count over bytes, count
// as the rune-by-rune way does.
func FuzzDisplayWidth(f *testing.F) {
	for _, s := range []string{"MAIL FROM:<a@b>", "主题：测试", "ab中c", "\x80abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want := displayWidthByRune(s)
		if got := DisplayWidth(s); got != want {
			t.Fatalf("DisplayWidth(%q) = %d, rune by rune %d", s, got, want)
		}
		if got := bytesWidth([]byte(s)); got != want {
			t.Fatalf("bytesWidth(%q) = %d, rune by rune %d", s, got, want)
		}
	})
}

// TestVisibleLinesAreEscaped: a note's remembered lines are escaped,
// even when the same text was wrapped as it is before (a step title).
func TestVisibleLinesAreEscaped(t *testing.T) {
	note := "hello \x1b[31mred\u202e from a client"
	wrapWords(note, 40)
	for range 2 { // wrapped the first time, remembered the second
		if lines := strings.Join(visibleLines(note, 40), ""); strings.ContainsAny(lines, "\x1b\u202e") {
			t.Fatalf("a note reached the terminal raw: %q", lines)
		}
	}
}

// TestSessionLabel: a wiretap line names its session by id and account,
// with --verbose also the client's address, and by the client when it
// has no id; whatever a client chose is escaped.
func TestSessionLabel(t *testing.T) {
	client := Event{Dir: FromClient, From: "127.0.0.1:5000", FromRole: RoleClient}
	for _, tc := range []struct {
		name    string
		e       func(Event) Event
		verbose bool
		want    string
	}{
		{"an id", func(e Event) Event { e.Session = "#3"; return e }, false, "#3"},
		{"logged in", func(e Event) Event { e.Session, e.Account = "#3", "s01@sohu.com"; return e }, false, "#3 s01@sohu.com"},
		{"verbose", func(e Event) Event { e.Session, e.Account = "#3", "s01@sohu.com"; return e }, true, "#3 s01@sohu.com the client at 127.0.0.1:5000"},
		{"no id", func(e Event) Event { return e }, false, "the client at 127.0.0.1:5000"},
		{"escaped", func(e Event) Event { e.Session, e.Account = "#3", "a\x1b[2Jb"; return e }, false, `#3 a\x1b[2Jb`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			e := tc.e(client)
			writeSessionLabel(&b, nil, &e, tc.verbose)
			if b.String() != tc.want {
				t.Errorf("got %q, want %q", b.String(), tc.want)
			}
		})
	}
}
