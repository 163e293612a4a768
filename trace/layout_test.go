package trace

import (
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
