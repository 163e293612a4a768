package decode

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/text/encoding/traditionalchinese"
)

func TestAutoVectors(t *testing.T) {
	big5, _ := traditionalchinese.Big5.NewEncoder().Bytes([]byte("繁體中文測試"))
	tests := []struct {
		name, input, charset string
		kind, want           string
	}{
		{"seed subject word", "=?GBK?B?08q8/rLiytQ=?=", "", "encoded-word", "邮件测试"},
		{"seed plain body", "vPK1pbXE08q8/reiy82y4srUo6E=", "gbk", "base64", "简单的邮件发送测试！"},
		{"seed body guessed", "vPK1pbXE08q8/reiy82y4srUo6E=", "", "base64", "简单的邮件发送测试！"},
		{"seed html body", "PFA+vPK1pbXE08q8/reiy82y4srUo6E8L1A+", "GBK", "base64", "<P>简单的邮件发送测试！</P>"},
		{"seed user", "Z2FjbA==", "", "base64", "gacl"},
		{"seed password", "MTIzNDU2", "", "base64", "123456"},
		{"no padding", "Z2FjbA", "", "base64", "gacl"},
		{"line breaks", "Z2Fj\r\nbA==", "", "base64", "gacl"},
		{"url-safe", "-_8=", "windows-1252", "base64", "ûÿ"},
		{"auth plain", "AGdhY2wAMTIzNDU2", "", "auth-plain", `authzid="" user="gacl" password="123456"`},
		{"q word", "=?ISO-8859-1?Q?caf=E9_cr=E8me?=", "", "encoded-word", "café crème"},
		{"big5 base64", base64.StdEncoding.EncodeToString(big5), "big5", "base64", "繁體中文測試"},
		{"big5 guessed", base64.StdEncoding.EncodeToString(big5), "", "base64", "繁體中文測試"},
		{"latin1 word", "=?iso-8859-1?b?Y2Fm6Q==?=", "", "encoded-word", "café"},
		{"adjacent words join", "=?UTF-8?B?5L2g?= =?UTF-8?B?5aW9?=", "", "encoded-word", "你好"},
		{"words and text", "Re: =?UTF-8?B?5L2g?= =?UTF-8?B?5aW9?= world", "", "header", "Re: 你好 world"},
		{"header line", "Subject: =?GBK?B?08q8/rLiytQ=?=", "", "header", "Subject: 邮件测试"},
		{"gb2312 label", "=?gb2312?B?08q8/rLiytQ=?=", "", "encoded-word", "邮件测试"},
		{"quoted-printable", "caf=C3=A9 =\r\nsoft", "", "quoted-printable", "café soft"},
		{"utf-16", "=?UTF-16?B?/v9PYA==?=", "", "encoded-word", "你"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Auto(tt.input, tt.charset)
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != tt.kind || r.Text != tt.want {
				t.Errorf("Auto(%q) = %s %q, want %s %q (layers %v, warnings %v)", tt.input, r.Kind, r.Text, tt.kind, tt.want, r.Layers, r.Warnings)
			}
		})
	}
}

func TestLayersShowTheWay(t *testing.T) {
	r, err := Auto("=?GBK?B?08q8/rLiytQ=?=", "")
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, l := range r.Layers {
		all = append(all, l.What+": "+l.Detail.String())
	}
	got := strings.Join(all, "\n")
	for _, want := range []string{"charset GBK, encoding B (Base64)", "8 bytes: d3 ca bc fe b2 e2 ca d4", "GBK: → 邮件测试"} {
		if !strings.Contains(got, want) {
			t.Errorf("layers lack %q:\n%s", want, got)
		}
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name, input, charset, want string
	}{
		{"case changed (the seed's own typo)", "=?GBK?B?08q8/rliytq=?=", "", "letter case looks changed"},
		{"case changed user", "z2fjba==", "", "letter case looks changed"},
		{"missing padding", "Z2FjbA", "", "padding is missing"},
		{"malformed word", "=?GBK?X?abc?=", "", "must be B or Q"},
		{"not a word", "=?GBK B 08q8?= text", "", "not one"},
		{"gb2312 decoded as GBK", "=?gb2312?B?08q8/rLiytQ=?=", "", "decoded as GBK"},
		{"label lies", "=?gb2312?B?gUA=?=", "", "the label lies"},
		{"guessed charset", "08q8/rLiytQ=", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Auto(tt.input, tt.charset)
			if err != nil {
				t.Fatal(err)
			}
			joined := fmt.Sprint(r.Warnings)
			if tt.want == "" {
				if len(r.Candidates) < 4 || r.Candidates[0].Charset != "GBK" {
					t.Errorf("candidates = %+v", r.Candidates)
				}
				return
			}
			if !strings.Contains(joined, tt.want) {
				t.Errorf("warnings %q lack %q", joined, tt.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		input, charset, want string
	}{
		{"Z2Fj!A==", "", ""},
		{"abc", "klingon", `unknown charset "klingon"`},
		{"", "", "empty"},
		{"just some words here", "", "nothing to decode"},
	}
	for _, tt := range tests {
		_, err := Auto(tt.input, tt.charset)
		if err == nil {
			t.Errorf("Auto(%q, %q): no error", tt.input, tt.charset)
			continue
		}
		if tt.want != "" && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Auto(%q): %v, want %q", tt.input, err, tt.want)
		}
	}
	_, err := Base64("Z2Fj!A==")
	var be *Base64Error
	if !errors.As(err, &be) || be.Offset != 4 || !strings.Contains(err.Error(), "position 5") {
		t.Errorf("Base64 error = %v", err)
	}
}

func TestParseNestedMessage(t *testing.T) {
	f, err := os.Open("testdata/nested.eml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ParseMessage(f, MessageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	headers := map[string]string{}
	for _, h := range r.Message.Headers {
		headers[h.Name] = h.Decoded
	}
	if headers["From"] != "张三 <gacl@sohu.com>" || headers["To"] != "李四 <bbb@sina.com>" || headers["Subject"] != "邮件测试café" {
		t.Errorf("headers = %q", headers)
	}
	parts := map[string]*Part{}
	var walk func(p *Part)
	walk = func(p *Part) {
		parts[p.Path] = p
		for _, c := range p.Parts {
			walk(c)
		}
	}
	walk(r.Message.Root)
	checks := []struct{ path, mediaType, text, filename string }{
		{"1.1", "text/plain", "简单的邮件发送测试！\r\n第二行。\r\n", ""},
		{"1.2", "text/html", "<p>繁體中文測試</p>\r\n", ""},
		{"2", "text/plain", "Café crème, déjà vu.\r\n", ""},
		{"3", "application/octet-stream", "", "报告.txt"},
		{"4", "text/plain", "notes in UTF-8: 你好", "笔记.txt"},
	}
	for _, c := range checks {
		p := parts[c.path]
		if p == nil {
			t.Errorf("no part %s", c.path)
			continue
		}
		if p.MediaType != c.mediaType || p.Text != c.text || p.Filename != c.filename {
			t.Errorf("part %s = %s %q %q", c.path, p.MediaType, p.Text, p.Filename)
		}
	}
	if p := parts["3"]; p == nil || p.Size != 256 || p.Data[255] != 255 {
		t.Errorf("binary attachment not decoded byte for byte")
	}
}

func TestSaveAttachmentsStaysInside(t *testing.T) {
	data, _ := os.ReadFile("testdata/nested.eml")
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	r, err := ParseMessage(bytes.NewReader(data), MessageOptions{SaveDir: out})
	if err != nil {
		t.Fatal(err)
	}
	saved := r.Message.SavedFiles()
	if len(saved) != 3 {
		t.Errorf("saved %v", saved)
	}
	for _, s := range saved {
		if filepath.Dir(s) != out {
			t.Errorf("%s is outside %s", s, out)
		}
	}
	if b, err := os.ReadFile(filepath.Join(out, "报告.txt")); err != nil || len(b) != 256 || b[255] != 255 {
		t.Errorf("报告.txt: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "etc")); err == nil {
		t.Error("a ../ name escaped the directory")
	}
	again, _ := ParseMessage(bytes.NewReader(data), MessageOptions{SaveDir: out})
	if got := again.Message.SavedFiles(); len(got) != 3 || got[0] == saved[0] {
		t.Errorf("saving twice must not overwrite: %v then %v", saved, got)
	}
}

// hugeMessage streams a message whose attachment decodes to n octets,
// without ever holding it whole.
func hugeMessage(n int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		io.WriteString(pw, "Subject: big\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee the attachment\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n")
		line := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xab}, 57)) + "\r\n" // 57 octets a line
		block := []byte(strings.Repeat(line, 1024))
		sent := 0
		for ; sent+57*1024 <= n; sent += 57 * 1024 {
			pw.Write(block)
		}
		for ; sent < n; sent += 57 {
			io.WriteString(pw, line)
		}
		io.WriteString(pw, "--b--\r\n")
		pw.Close()
	}()
	return pr
}

// TestHugeMessageStreams: a 24 MB attachment is decoded and saved while
// memory stays bounded.
func TestHugeMessageStreams(t *testing.T) {
	const size = 57 * 1024 * 400 // about 22 MiB
	dir := t.TempDir()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r, err := ParseMessage(hugeMessage(size), MessageOptions{SaveDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	att := r.Message.Root.Parts[1]
	if att.Size != size || len(att.Data) != previewBytes {
		t.Fatalf("attachment size %d, preview %d", att.Size, len(att.Data))
	}
	if fi, err := os.Stat(filepath.Join(dir, "big.bin")); err != nil || fi.Size() != size {
		t.Fatalf("saved file: %v", err)
	}
	if grown := int64(after.HeapSys) - int64(before.HeapSys); grown > 32<<20 {
		t.Errorf("the heap grew by %d MB for a 24 MB attachment", grown>>20)
	}
}

// BenchmarkParseHugeMessage reports bytes allocated per message, which stay
// the same when the attachment is ten times larger.
func BenchmarkParseHugeMessage(b *testing.B) {
	for _, mb := range []int{4, 40} {
		b.Run(fmt.Sprintf("%dMB", mb), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(mb) << 20)
			for b.Loop() {
				if _, err := ParseMessage(hugeMessage(mb<<20), MessageOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestEncode(t *testing.T) {
	if got := EncodeBase64("gacl"); got != "Z2FjbA==" {
		t.Errorf("EncodeBase64 = %s", got)
	}
	if got := AuthPlain("gacl", "123456"); got != "AGdhY2wAMTIzNDU2" {
		t.Errorf("AuthPlain = %s", got)
	}
	w, err := EncodeWords("邮件测试", "GBK", false)
	if err != nil || w != "=?GBK?B?08q8/rLiytQ=?=" {
		t.Errorf("EncodeWords = %s, %v", w, err)
	}
	long := strings.Repeat("简单的邮件发送测试！", 8)
	for _, q := range []bool{false, true} {
		w, err := EncodeWords(long, "gbk", q)
		if err != nil {
			t.Fatal(err)
		}
		for _, word := range strings.Fields(w) {
			if len(word) > 75 {
				t.Errorf("word of %d characters: %s", len(word), word)
			}
		}
		if back := Words(w, "").Text; back != long {
			t.Errorf("round trip (q=%v) = %q", q, back)
		}
	}
	if _, err := EncodeWords("日本語ü", "iso-8859-1", false); err == nil {
		t.Error("unrepresentable text should be refused")
	}
}

func TestStreamBase64(t *testing.T) {
	var out bytes.Buffer
	raw := strings.Repeat("简单的邮件发送测试！", 300)
	gbk, _ := LookupCharset("gbk")
	b, _ := gbk.Encoding.NewEncoder().Bytes([]byte(raw))
	enc := base64.StdEncoding.EncodeToString(b)
	var wrapped strings.Builder
	for len(enc) > 76 {
		wrapped.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	wrapped.WriteString(enc)
	if _, err := StreamBase64(&out, strings.NewReader(wrapped.String()), "gbk"); err != nil || out.String() != raw {
		t.Fatalf("stream decode: %v (%d bytes)", err, out.Len())
	}
}

func TestLookupCharset(t *testing.T) {
	for label, want := range map[string]string{
		"GBK": "GBK", "gb2312": "GBK", "x-gbk": "GBK", "cp936": "GBK", "GB18030": "GB18030",
		"big5": "Big5", "Shift_JIS": "Shift_JIS", "euc-kr": "EUC-KR", "iso-8859-2": "ISO-8859-2",
		"windows-1251": "windows-1251", "KOI8-R": "KOI8-R", "utf-16": "UTF-16", "UTF-8": "UTF-8",
	} {
		cs, err := LookupCharset(label)
		if err != nil || cs.Name != want {
			t.Errorf("LookupCharset(%q) = %q, %v; want %q", label, cs.Name, err, want)
		}
	}
}

// gbkBase64 returns n bytes (about) of GBK text as Base64 in 76-column lines.
func gbkBase64(n int) []byte {
	gbk, _ := LookupCharset("gbk")
	text := strings.Repeat("简单的邮件发送测试！Simple mail test. ", n/40+1)
	raw, _ := gbk.Encoding.NewEncoder().Bytes([]byte(text))
	enc := base64.StdEncoding.EncodeToString(raw)
	var b bytes.Buffer
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}

// BenchmarkStreamBase64GBK decodes Base64 GBK to UTF-8 as a stream; with
// -benchmem it shows that memory does not grow with the input.
func BenchmarkStreamBase64GBK(b *testing.B) {
	for _, size := range []int{1 << 20, 22 << 20} {
		in := gbkBase64(size)
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := StreamBase64(io.Discard, bytes.NewReader(in), "gbk"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// repeatReader yields n copies of a byte, without holding them.
type repeatReader struct {
	b byte
	n int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), r.n)
	for i := range p[:k] {
		p[i] = r.b
	}
	r.n -= k
	return int(k), nil
}

// TestHugeHeaderLineInConstantMemory: a 64 MB header line is cut, with a
// warning, and reading it allocates a small fraction of its size.
func TestHugeHeaderLineInConstantMemory(t *testing.T) {
	in := io.MultiReader(strings.NewReader("Subject: "), &repeatReader{'a', 64 << 20}, strings.NewReader("\r\nTo: <bbb@sina.com>\r\n\r\nbody\r\n"))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := ParseMessage(in, MessageOptions{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 8<<20 {
		t.Errorf("allocated %d MiB to read a 64 MiB header line", allocated>>20)
	}
	if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0].String(), "was cut to 65536") || len(res.Message.Headers) != 2 {
		t.Errorf("warnings %q, %d headers", res.Warnings, len(res.Message.Headers))
	}
}

func TestSafeNames(t *testing.T) {
	for _, tt := range []struct{ name, want string }{
		{"report\u202efdp.exe", "report_fdp.exe"},
		{"../../etc/passwd", "_.._etc_passwd"},
		{strings.Repeat("长", 100) + ".pdf", strings.Repeat("长", 65) + ".pdf"},
		{"\x1b]0;x\x07.txt", "_]0;x_.txt"},
	} {
		if got := safeName(&Part{Filename: tt.name}); got != tt.want {
			t.Errorf("safeName(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}
