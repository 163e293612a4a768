package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"maillab/trace"
)

// copied are lines the width does not bend: protocol lines as they
// crossed the wire (C: S: C~ S~, and the wiretap's arrows) and commands
// meant to be copied (usage, examples).
var copied = regexp.MustCompile(`^\s+[CS][:~] |^\S* ?#\d+ (->|<-|~>|<~) |^\s+(maillab|printf|MAILLAB_\S+|telnet|openssl|swaks) |^\s+#`)

// TestProseFitsTheWidth: at 80 and 120 columns, in English and Chinese,
// no line of prose any command writes is wider than the width; a longer
// line is a protocol line, a command to copy, or holds a single token
// that cannot be broken (an id, a path, a URL).
func TestProseFitsTheWidth(t *testing.T) {
	runs := [][]string{
		{"play"}, {"play", "--to", "nobody@sina.com"}, {"play", "--tls", "starttls"},
		{"lesson", "list"}, {"decode", "=?GBK?B?08q8/rLiytQ=?="}, {"decode", "08q8/rliytq="}, {"encode", "--auth-plain", "gacl", "123456"},
	}
	for _, c := range []string{"", "play", "sandbox", "decode", "encode", "practice", "lesson", "completion"} {
		runs = append(runs, append(strings.Fields(c), "--help"))
	}
	for n := 1; n <= 9; n++ {
		runs = append(runs, []string{"lesson", strconv.Itoa(n)})
	}
	for _, lang := range []string{"en", "zh"} {
		for _, width := range []int{80, 120} {
			for _, args := range runs {
				if args[0] == "lesson" && args[1] != "list" && width == 120 && testing.Short() {
					continue
				}
				all := append(append([]string{}, args...), "--lang", lang, "--width", strconv.Itoa(width), "--color", "never")
				out, errOut, _ := execute(t, context.Background(), "", all...)
				for _, line := range strings.Split(out+errOut, "\n") {
					if bad := tooWide(line, width); bad {
						t.Errorf("%s, %d columns, maillab %s: a line of %d columns:\n%s", lang, width, strings.Join(args, " "), trace.DisplayWidth(line), line)
					}
				}
			}
		}
	}
}

// tooWide reports whether a line is prose wider than width that could
// have been broken.
func tooWide(line string, width int) bool {
	if trace.DisplayWidth(line) <= width || copied.MatchString(line) {
		return false
	}
	// breakable: a space, or a wide (Chinese) character, within the
	// width after the indentation: the line could have ended there
	body := strings.TrimLeft(line, " ")
	col := len(line) - len(body)
	for i, r := range body {
		w := trace.DisplayWidth(string(r))
		if i > 0 && col+w <= width && (r == ' ' || w == 2) {
			return true
		}
		col += w
		if col > width {
			return false
		}
	}
	return false
}
