package i18n

import (
	"fmt"
	"strconv"
	"strings"
)

// Count writes a number of things: "1 message", "2,500 messages"; in a
// language whose catalogue has a "count: NOUN" entry, with that word (in
// Chinese the noun's measure word: "2,500 封邮件").
func (p *Printer) Count(n int, noun string) string {
	return p.CountOf(Thousands(int64(n)), noun)
}

// CountOf is Count for a number already written ("1", "2,500", or a
// number as it crossed the wire, which must not be rewritten).
func (p *Printer) CountOf(n, noun string) string {
	if unit, ok := Or(p).dict()["count: "+noun]; ok {
		return n + " " + unit
	}
	if n == "1" {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "x") || strings.HasSuffix(noun, "s") || strings.HasSuffix(noun, "ch") || strings.HasSuffix(noun, "sh") {
		return n + " " + noun + "es" // mailboxes
	}
	return n + " " + noun + "s"
}

// Size writes an amount of octets for people: "512 octets", "64 KiB",
// "50 MB".
func (p *Printer) Size(n int64) string {
	switch {
	case n < 10<<10:
		return p.Count(int(n), "octet")
	case n < 10<<20:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d MB", n/1_000_000)
}

// Thousands writes n with comma separators: 690,000.
func Thousands(n int64) string {
	if n < 0 {
		return "-" + Thousands(-n)
	}
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
