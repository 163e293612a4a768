package i18n

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

// TestTranslateError: a wrapped chain is rewritten part by part; what the
// catalogue does not know stays English; English stays as it was.
func TestTranslateError(t *testing.T) {
	zhp := New(Chinese)
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("--file: %w", fmt.Errorf("reading the input: %w", io.ErrUnexpectedEOF)), "--file：读取输入：unexpected EOF"},
		{fmt.Errorf("--lang %q: choose en or zh", "fr"), `--lang "fr"：请选 en 或 zh`},
		{fmt.Errorf("--port-offset %d: must be between 0 and 60000", 70000), "--port-offset 70000：必须在 0 到 60000 之间"},
		{fmt.Errorf("read %s in %s: %w", "m1", "box", errors.New("no such message")), "读取 box 里的 m1：没有这封邮件"},
		{errors.New("something maillab never says"), "something maillab never says"},
	}
	for _, tt := range tests {
		if got := TranslateError(zhp, tt.err); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.err, got, tt.want)
		}
		if got := TranslateError(EnglishPrinter, tt.err); got != tt.err.Error() {
			t.Errorf("English changed %q to %q", tt.err, got)
		}
	}
}
