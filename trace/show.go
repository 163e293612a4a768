package trace

import (
	"fmt"
	"io"

	"maillab/trace/decode"
	"maillab/trace/i18n"
)

// ShowDecodedIn decodes input as maillab decode does and writes the
// text, how it was decoded and any warnings to w, escaped for a terminal,
// maillab's words in p's language. It reports whether input decoded.
func ShowDecodedIn(w io.Writer, p *i18n.Printer, input string) bool {
	p = i18n.Or(p)
	out := NewEscaper(w)
	defer out.Close()
	res, err := decode.Auto(input, "")
	if err != nil {
		fmt.Fprintf(out, "  %s\n", i18n.TranslateError(p, err))
		return false
	}
	res.WriteTextIn(out, p)
	res.WriteLayersIn(out, p)
	for _, warning := range res.Warnings {
		fmt.Fprintf(out, "  %s\n", p.Trf("warning: %s", warning.In(p)))
	}
	return true
}
