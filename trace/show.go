package trace

import (
	"fmt"
	"io"

	"maillab/trace/decode"
)

// ShowDecoded decodes input as maillab decode does and writes the text,
// how it was decoded and any warnings to w, escaped for a terminal. It
// reports whether input decoded.
func ShowDecoded(w io.Writer, input string) bool {
	out := NewEscaper(w)
	defer out.Close()
	res, err := decode.Auto(input, "")
	if err != nil {
		fmt.Fprintf(out, "  %v\n", err)
		return false
	}
	res.WriteText(out)
	res.WriteLayers(out)
	for _, warning := range res.Warnings {
		fmt.Fprintf(out, "  warning: %s\n", warning)
	}
	return true
}
