package i18n

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"testing"
)

// TestTranslateError: maillab's own errors are put into words from their
// format and arguments, a wrapped chain part by part; another library's
// error is matched against the Foreign formats; what nothing knows stays
// English; English stays as it was.
func TestTranslateError(t *testing.T) {
	zhp := New(Chinese)
	_, notFound := os.Open("/nonexistent/x")
	tests := []struct {
		err  error
		want string
	}{
		{Errorf("--file: %w", Errorf("reading the input: %w", io.ErrUnexpectedEOF)), "--file：读取输入：unexpected EOF"},
		{Errorf("--lang %q: choose one of %s", "fr", "en, zh"), `--lang "fr"：请从 en, zh 中选一个`},
		{Errorf("--port-offset %d: must be between 0 and 60000", 70000), "--port-offset 70000：必须在 0 到 60000 之间"},
		{Errorf("read %s in %s: %w", "m1", "box", NewError("no such message")), "读取 box 里的 m1：没有这封邮件"},
		{Errorf("--file: %w", notFound), "--file：打开 /nonexistent/x：文件或目录不存在"},
		{NewError("something maillab never says"), "something maillab never says"},
		{errors.New("another library's words"), "another library's words"},
		{errors.Join(NewError("no such message"), Errorf("--port-offset %d: must be between 0 and 60000", 1)), "没有这封邮件\n--port-offset 1：必须在 0 到 60000 之间"},
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

// TestErrorsWrap: an Error wraps its %w arguments as fmt.Errorf does.
func TestErrorsWrap(t *testing.T) {
	sentinel := NewError("no such message")
	err := Errorf("read %s: %w", "m1", Errorf("in %s: %w", "box", sentinel))
	if !errors.Is(err, sentinel) {
		t.Error("errors.Is does not see the sentinel")
	}
	if _, open := os.Open("/nonexistent/y"); !errors.Is(Errorf("x: %w", open), fs.ErrNotExist) {
		t.Error("errors.Is does not see a wrapped library error")
	}
	if got, want := err.Error(), fmt.Sprintf("read %s: in %s: %s", "m1", "box", "no such message"); got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
