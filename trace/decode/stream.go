package decode

import (
	"encoding/base64"
	"fmt"
	"io"

	"golang.org/x/text/transform"
)

// StreamBase64 decodes Base64 from r (line breaks and spaces ignored) and
// writes it to w as UTF-8 text from charset, in constant memory however
// large the input.
func StreamBase64(w io.Writer, r io.Reader, charset string) (int64, error) {
	cs, err := LookupCharset(charset)
	if err != nil {
		return 0, err
	}
	raw := base64.NewDecoder(base64.StdEncoding, &alphabetOnly{r: r})
	text := transform.NewReader(raw, cs.Encoding.NewDecoder())
	n, err := io.Copy(w, text)
	if err != nil {
		return n, fmt.Errorf("decoding Base64 %s: %w", cs.Name, err)
	}
	return n, nil
}
