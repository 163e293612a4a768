package decode

import (
	"sort"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// Candidate is one way to read bytes of unknown charset.
type Candidate struct {
	Charset string
	Text    string
	Score   float64 // higher is more plausible
}

// guessCharsets are tried, in this order, for bytes that are not UTF-8:
// the charsets Chinese, Japanese and Western mail most often used.
var guessCharsets = []string{"GBK", "Big5", "Shift_JIS", "windows-1252"}

// Guess decodes b with each likely charset and returns the readings, most
// plausible first. UTF-8 wins outright when b is valid UTF-8.
func Guess(b []byte) []Candidate {
	if utf8.Valid(b) {
		return []Candidate{{Charset: "UTF-8", Text: string(b), Score: 100}}
	}
	var out []Candidate
	for _, name := range guessCharsets {
		cs, err := LookupCharset(name)
		if err != nil {
			continue
		}
		text, err := cs.Text(b)
		if err != nil {
			continue
		}
		out = append(out, Candidate{Charset: cs.Name, Text: text, Score: plausibility(cs.Name, text)})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out
}

// plausibility scores decoded text: letters of real scripts count for it,
// replacement characters, controls and stray symbols against it. Han
// characters that are among the most common in the charset's own
// tradition (GB2312 level 1, Big5 level 1) count extra, which is what
// tells GBK from Big5 on the same bytes.
func plausibility(charset, text string) float64 {
	var score float64
	n := 0
	for _, r := range text {
		if r < utf8.RuneSelf && r >= ' ' {
			continue // ASCII reads the same in all of them
		}
		n++
		score += runeWeight(charset, r)
	}
	if n == 0 {
		return 0
	}
	return score / float64(n)
}

func runeWeight(charset string, r rune) float64 {
	switch {
	case r == utf8.RuneError:
		return -4
	case r < ' ' && r != '\t' && r != '\r' && r != '\n', r >= 0x80 && r < 0xa0:
		return -2
	case unicode.In(r, unicode.Hiragana, unicode.Katakana):
		return 1.5
	case unicode.Is(unicode.Han, r):
		return 1 + commonHanBonus(charset, r)
	case r >= 0x3000 && r <= 0x303f, r >= 0xff01 && r <= 0xff5e:
		return 0.8 // CJK and full-width punctuation
	case r >= 0xff61 && r <= 0xff9f:
		return -0.5 // half-width katakana: rare in real text
	case unicode.IsLetter(r):
		return 0.5
	}
	return -0.5
}

// commonHanBonus favours characters in the frequent range of the charset
// the text was decoded with.
func commonHanBonus(charset string, r rune) float64 {
	switch charset {
	case "GBK":
		b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(string(r)))
		if err == nil && len(b) == 2 && b[0] >= 0xb0 && b[0] <= 0xd7 && b[1] >= 0xa1 {
			return 0.5
		}
	case "Big5":
		b, err := traditionalchinese.Big5.NewEncoder().Bytes([]byte(string(r)))
		if err == nil && len(b) == 2 && b[0] >= 0xa4 && b[0] <= 0xc6 {
			return 0.5
		}
	}
	return 0
}
