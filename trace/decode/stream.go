package decode

import (
	"encoding/base64"
	"errors"
	"io"

	"maillab/trace/i18n"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// streamChunk is how much Base64 StreamBase64 reads at a time: big enough
// that per-call costs vanish, small enough that memory stays constant.
const streamChunk = 1 << 20

// StreamBase64 decodes Base64 from r (line breaks and spaces ignored) and
// writes it to w as UTF-8 text from charset, in constant memory however
// large the input. It returns the number of bytes written.
func StreamBase64(w io.Writer, r io.Reader, charset string) (int64, error) {
	cs, err := LookupCharset(charset)
	if err != nil {
		return 0, err
	}
	s := &streamer{w: w, toUTF8: cs.Encoding.NewDecoder()}
	switch {
	case cs.Name == "UTF-8" || cs.Name == "US-ASCII":
		s.toUTF8 = nil // already text: pass the bytes on
	case cs.Encoding == simplifiedchinese.GBK:
		s.toUTF8 = newFastGBK() // the same text, faster
	}
	if err := s.run(r); err != nil {
		return s.written, i18n.Errorf("decoding Base64 %s: %w", cs.Name, err)
	}
	return s.written, nil
}

// streamer holds the buffers of one StreamBase64 call.
type streamer struct {
	w       io.Writer
	toUTF8  transform.Transformer // nil for UTF-8 input
	text    []byte                // Base64 characters not yet decoded (fewer than 4 between chunks)
	raw     []byte                // decoded bytes not yet turned into text (a split character)
	out     []byte
	written int64
}

func (s *streamer) run(r io.Reader) error {
	in := make([]byte, streamChunk)
	s.text = make([]byte, 0, streamChunk+4)
	s.raw = make([]byte, 0, streamChunk)
	s.out = make([]byte, 2*streamChunk)
	for {
		n, err := io.ReadFull(r, in)
		s.text = appendAlphabet(s.text, in[:n])
		eof := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !eof {
			return err
		}
		if derr := s.decode(eof); derr != nil {
			return derr
		}
		if eof {
			return nil
		}
	}
}

// appendAlphabet appends the Base64 characters of p to dst, dropping line
// breaks and spaces: each run between them is copied at once (a line of
// Base64 is one run).
func appendAlphabet(dst, p []byte) []byte {
	for len(p) > 0 {
		i := 0
		for i < len(p) && b64Alphabet[p[i]] {
			i++
		}
		dst = append(dst, p[:i]...)
		for i < len(p) && !b64Alphabet[p[i]] {
			i++
		}
		p = p[i:]
	}
	return dst
}

// b64Alphabet marks the bytes of the standard Base64 alphabet and '='.
var b64Alphabet = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = isB64Byte(byte(c))
	}
	return t
}()

// decode decodes the whole 4-character groups held (all of them at the
// end) and passes the bytes on.
func (s *streamer) decode(final bool) error {
	whole := len(s.text) / 4 * 4
	if final {
		whole = len(s.text)
	}
	enc := base64.StdEncoding
	if final && whole%4 != 0 {
		enc = base64.RawStdEncoding // the padding was left out
	}
	start := len(s.raw)
	s.raw = s.raw[:start+enc.DecodedLen(whole)]
	n, err := enc.Decode(s.raw[start:], s.text[:whole])
	if err != nil {
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			return i18n.Errorf("invalid Base64 near character %d of a chunk", int(ce)+1)
		}
		return err
	}
	s.raw = s.raw[:start+n]
	s.text = s.text[:copy(s.text, s.text[whole:])]
	return s.emit(final)
}

// emit turns the decoded bytes into UTF-8 and writes them, keeping a
// character split at the end for the next chunk.
func (s *streamer) emit(final bool) error {
	if s.toUTF8 == nil {
		err := s.write(s.raw)
		s.raw = s.raw[:0]
		return err
	}
	src := s.raw
	for len(src) > 0 {
		nDst, nSrc, err := s.toUTF8.Transform(s.out, src, final)
		if werr := s.write(s.out[:nDst]); werr != nil {
			return werr
		}
		src = src[nSrc:]
		switch {
		case err == transform.ErrShortSrc && !final:
			s.raw = s.raw[:copy(s.raw, src)]
			return nil
		case err != nil && err != transform.ErrShortDst:
			return err
		}
	}
	s.raw = s.raw[:0]
	return nil
}

// write writes p and counts it.
func (s *streamer) write(p []byte) error {
	n, err := s.w.Write(p)
	s.written += int64(n)
	return err
}
