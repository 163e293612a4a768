package trace

import (
	"fmt"
	"io"
	"strings"

	"maillab/trace/decode"
	"maillab/trace/i18n"
)

// ShowDecodedIn decodes input as maillab decode does and writes the
// text, how it was decoded and any warnings to w, escaped for a terminal,
// maillab's words in p's language. It reports whether input decoded.
func ShowDecodedIn(w io.Writer, p *i18n.Printer, input string) bool {
	return ShowDecoded(w, p, input, 0)
}

// ShowDecoded is ShowDecodedIn with the layers' details and the warnings
// wrapped to width columns (0: not wrapped); the decoded text is shown
// whole.
func ShowDecoded(w io.Writer, p *i18n.Printer, input string, width int) bool {
	p = i18n.Or(p)
	out := NewEscaper(w)
	defer out.Close()
	res, err := decode.Auto(input, "")
	if err != nil {
		fmt.Fprintf(out, "  %s\n", i18n.TranslateError(p, err))
		return false
	}
	res.WriteTextIn(out, p)
	WriteLayers(out, p, res, width)
	for _, warning := range res.Warnings {
		fmt.Fprintf(out, "  %s\n", Wrap(p.Trf("warning: %s", warning.In(p)), width, 2, 4))
	}
	return true
}

// layerColumn is where a layer's detail starts: "  " and a 14-column name.
const layerColumn = 17

// WriteLayers writes how res was decoded, layer by layer, each layer's
// detail wrapped to width columns under its column (0: not wrapped).
func WriteLayers(w io.Writer, p *i18n.Printer, res *decode.Result, width int) {
	var b strings.Builder
	res.WriteLayersIn(&b, p)
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		runes := []rune(line)
		if width > 0 && DisplayWidth(line) > width && strings.HasPrefix(line, "  ") && len(runes) > layerColumn {
			head := string(runes[:layerColumn])
			line = head + Wrap(string(runes[layerColumn:]), width, DisplayWidth(head), layerColumn)
		}
		fmt.Fprintln(w, line)
	}
}
