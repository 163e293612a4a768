package decode

import (
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// fastGBK decodes GBK as x/text's decoder does, byte for byte, but faster
// for what mail holds: runs of ASCII are copied whole, and a two-byte
// character is looked up in a table made from x/text's own decoder.
// Anything else (the euro sign 0x80, bytes that are no character, a
// character split at the end of src) goes to x/text's decoder, which
// keeps no state between calls, so handing it one character is exact.
type fastGBK struct {
	slow transform.Transformer
}

func newFastGBK() transform.Transformer {
	gbkTableOnce.Do(buildGBKTable)
	return fastGBK{slow: simplifiedchinese.GBK.NewDecoder()}
}

// gbkPair is a two-byte GBK character as UTF-8 (n == 0: not one the
// table knows).
type gbkPair struct {
	n    uint8
	utf8 [3]byte
}

// The table covers lead bytes 0x81-0xFE and trail bytes 0x40-0xFE.
const (
	gbkLeadFirst, gbkLeadLast   = 0x81, 0xfe
	gbkTrailFirst, gbkTrailLast = 0x40, 0xfe
	gbkTrails                   = gbkTrailLast - gbkTrailFirst + 1
)

var (
	gbkTableOnce sync.Once
	gbkTable     []gbkPair
)

// buildGBKTable decodes every two-byte sequence once with x/text's GBK
// decoder (about 24,000 of them, a few milliseconds), keeping those that
// are one character of at most 3 UTF-8 bytes other than U+FFFD.
func buildGBKTable() {
	gbkTable = make([]gbkPair, (gbkLeadLast-gbkLeadFirst+1)*gbkTrails)
	dec := simplifiedchinese.GBK.NewDecoder()
	var dst [16]byte
	for lead := gbkLeadFirst; lead <= gbkLeadLast; lead++ {
		for trail := gbkTrailFirst; trail <= gbkTrailLast; trail++ {
			src := []byte{byte(lead), byte(trail)}
			nDst, nSrc, err := dec.Transform(dst[:], src, true)
			if err != nil || nSrc != 2 || nDst > 3 {
				continue
			}
			r, size := utf8.DecodeRune(dst[:nDst])
			if r == utf8.RuneError || size != nDst {
				continue
			}
			p := &gbkTable[(lead-gbkLeadFirst)*gbkTrails+trail-gbkTrailFirst]
			p.n = uint8(nDst)
			copy(p.utf8[:], dst[:nDst])
		}
	}
}

// Reset does nothing: the decoder keeps no state.
func (fastGBK) Reset() {}

// Transform decodes src into dst as x/text's GBK decoder would.
func (f fastGBK) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		if c < utf8.RuneSelf {
			if nDst == len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
			nSrc++
			continue
		}
		if c >= gbkLeadFirst && c <= gbkLeadLast && nSrc+1 < len(src) {
			if t := src[nSrc+1]; t >= gbkTrailFirst && t <= gbkTrailLast {
				p := &gbkTable[int(c-gbkLeadFirst)*gbkTrails+int(t-gbkTrailFirst)]
				if p.n != 0 {
					if nDst+int(p.n) > len(dst) {
						return nDst, nSrc, transform.ErrShortDst
					}
					if p.n == 3 { // nearly every character: three stores beat a copy call
						dst[nDst], dst[nDst+1], dst[nDst+2] = p.utf8[0], p.utf8[1], p.utf8[2]
						nDst += 3
					} else {
						nDst += copy(dst[nDst:], p.utf8[:p.n])
					}
					nSrc += 2
					continue
				}
			}
		}
		// one character (up to 4 bytes, GB18030's longest) the slow way
		end := min(nSrc+4, len(src))
		d, s, serr := f.slow.Transform(dst[nDst:], src[nSrc:end], atEOF && end == len(src))
		nDst += d
		nSrc += s
		switch {
		case serr == transform.ErrShortSrc && end < len(src) && s > 0:
			continue // the window cut a character the next call sees whole
		case serr != nil:
			return nDst, nSrc, serr
		case s == 0:
			return nDst, nSrc, transform.ErrShortSrc
		}
	}
	return nDst, nSrc, nil
}
