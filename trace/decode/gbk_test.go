package decode

import (
	"bytes"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// decodeInChunks runs a transformer over src fed in pieces of size n,
// with a small dst, as a stream does.
func decodeInChunks(t transform.Transformer, src []byte, n int) []byte {
	var out bytes.Buffer
	dst := make([]byte, 7)
	var pending []byte
	for i := 0; i <= len(src); i += n {
		pending = append(pending, src[i:min(i+n, len(src))]...)
		atEOF := i+n >= len(src)
		for {
			nDst, nSrc, err := t.Transform(dst, pending, atEOF)
			out.Write(dst[:nDst])
			pending = pending[nSrc:]
			if err != transform.ErrShortDst {
				break
			}
		}
		if atEOF {
			break
		}
	}
	return out.Bytes()
}

// FuzzFastGBK: the fast decoder writes exactly what x/text's GBK decoder
// writes, for any bytes, fed whole or in pieces.
func FuzzFastGBK(f *testing.F) {
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String("简单的邮件发送测试！ hello €")
	for _, seed := range []string{gbk, "\x80\x81\xff\xfe\x40\x81\x30\x81\x30", "ascii only", "\xa1", "\xb0\xa1\xb0"} {
		f.Add([]byte(seed), 3)
	}
	f.Fuzz(func(t *testing.T, src []byte, piece int) {
		want, _, err := transform.Bytes(simplifiedchinese.GBK.NewDecoder(), src)
		if err != nil {
			t.Skip()
		}
		if got, _, _ := transform.Bytes(newFastGBK(), src); !bytes.Equal(got, want) {
			t.Fatalf("whole: got %q, want %q", got, want)
		}
		piece = 1 + abs(piece)%9
		if got := decodeInChunks(newFastGBK(), src, piece); !bytes.Equal(got, want) {
			t.Fatalf("in pieces of %d: got %q, want %q", piece, got, want)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
