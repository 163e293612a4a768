package decode

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz targets: no input may panic or hang a decoder. Run each with
// go test -fuzz=FuzzName ./trace/decode; crashers land in testdata/fuzz.

func FuzzAuto(f *testing.F) {
	for _, seed := range []string{"=?GBK?B?08q8/rLiytQ=?=", "vPK1pbXE08q8/reiy82y4srUo6E=", "Z2FjbA==", "AGdhY2wAMTIzNDU2",
		"caf=C3=A9", "Subject: =?UTF-8?Q?a_b?=", "From: a\r\nTo: b\r\n\r\nbody", "=?x?B?", "-_8="} {
		f.Add(seed, "")
		f.Add(seed, "gbk")
	}
	f.Fuzz(func(t *testing.T, input, charset string) {
		r, err := Auto(input, charset)
		if err == nil && r == nil {
			t.Fatal("nil result without an error")
		}
	})
}

func FuzzBase64(f *testing.F) {
	for _, seed := range []string{"Z2FjbA==", "Z2FjbA", "Z2Fj\nbA==", "-_8=", "====", "a", "Z2Fj!A=="} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := Base64(s)
		if err != nil {
			return
		}
		// re-encoding what was decoded must decode to the same bytes
		again, err := Base64(EncodeBase64(string(b)))
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("round trip of %q: %v", s, err)
		}
	})
}

func FuzzWords(f *testing.F) {
	for _, seed := range []string{"=?GBK?B?08q8/rLiytQ=?=", "=?ISO-8859-1?Q?caf=E9?=", "a =?UTF-8?B?5L2g?= =?UTF-8?B?5aW9?= b", "=?UTF-8*en?Q?=?=", "=?GBK?Q?=A?="} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		Words(s, "")
	})
}

func FuzzEncodeWords(f *testing.F) {
	f.Add("邮件测试", false)
	f.Add("café crème", true)
	f.Fuzz(func(t *testing.T, text string, q bool) {
		if !utf8.ValidString(text) {
			return
		}
		w, err := EncodeWords(text, "UTF-8", q)
		if err != nil {
			return // e.g. U+FFFD, which is refused
		}
		for _, word := range strings.Fields(w) {
			if len(word) > maxWord {
				t.Fatalf("word longer than 75: %q", word)
			}
		}
		if back := Words(w, "").Text; back != text && !(text == "" && back == "") {
			t.Fatalf("round trip: %q -> %q -> %q", text, w, back)
		}
	})
}

func FuzzParseMessage(f *testing.F) {
	f.Add([]byte("Subject: hi\r\n\r\nbody\r\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: base64\r\n\r\n08q8/rLiytQ=\r\n--b--\r\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nx\r\n--c--\r\n--b--\r\n"))
	f.Add([]byte("Content-Disposition: attachment; filename*0*=gbk''%B1%A8; filename*1*=%B8%E6\r\n\r\nx"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		r, err := ParseMessage(bytes.NewReader(msg), MessageOptions{})
		if err == nil && (r.Message == nil || r.Message.Root == nil) {
			t.Fatal("a parsed message without a tree")
		}
	})
}

func FuzzStreamBase64(f *testing.F) {
	f.Add("vPK1pbXE08q8/reiy82y4srUo6E=")
	f.Add("vPK1\r\npbXE")
	f.Fuzz(func(t *testing.T, s string) {
		StreamBase64(io.Discard, strings.NewReader(s), "gbk")
	})
}
