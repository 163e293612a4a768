package i18n

import "fmt"

// Text is words of maillab's kept as data: an English format (the
// catalogue's key) and its arguments. It is put into words where it is
// shown, in the reader's language (In); String gives the English.
// Arguments that are Texts, errors or other Localizers are put into the
// same language.
type Text struct {
	Format string
	Args   []any
}

// T makes a Text.
func T(format string, args ...any) Text { return Text{Format: format, Args: args} }

// Localizer is anything that can say itself in a reader's language.
type Localizer interface {
	In(p *Printer) string
}

// String is the text in English.
func (t Text) String() string { return t.In(EnglishPrinter) }

// In is the text in p's language. Its arguments are written as fmt
// writes them (a port stays 70000, never 70,000).
func (t Text) In(p *Printer) string {
	format := Or(p).Tr(t.Format)
	if len(t.Args) == 0 {
		return format
	}
	args := make([]any, len(t.Args))
	for i, a := range t.Args {
		args[i] = localize(p, a)
	}
	return fmt.Sprintf(withoutW(format), args...)
}

// localize puts an argument into p's language, when it has words.
func localize(p *Printer, a any) any {
	switch v := a.(type) {
	case Localizer:
		return v.In(p)
	case error:
		return TranslateError(p, v)
	}
	return a
}

// Error is an error in maillab's own words: a Text, and the errors it
// wraps (its %w arguments), so errors.Is and errors.As see through it as
// through fmt.Errorf's.
type Error struct {
	Text
	wrapped []error
}

// Errorf makes an Error as fmt.Errorf makes an error: %w wraps.
func Errorf(format string, args ...any) error {
	e := &Error{Text: T(format, args...)}
	for i, verb := range verbsOf(format) {
		if verb == 'w' && i < len(args) {
			if err, ok := args[i].(error); ok {
				e.wrapped = append(e.wrapped, err)
			}
		}
	}
	return e
}

// NewError makes an Error of a text without arguments, as errors.New.
func NewError(text string) error { return &Error{Text: T(text)} }

// Error is the error in English.
func (e *Error) Error() string { return e.Text.String() }

// Unwrap returns the errors it wraps.
func (e *Error) Unwrap() []error { return e.wrapped }

// In is the error in p's language.
func (e *Error) In(p *Printer) string { return e.Text.In(p) }

// verbsOf lists the verbs of a format, one per argument, in order
// (explicit argument indexes such as %[2]s are not used by maillab's
// errors).
func verbsOf(format string) []byte {
	var verbs []byte
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 == len(format) {
			continue
		}
		j := i + 1
		if format[j] == '%' {
			i++
			continue
		}
		for j < len(format) && (format[j] == '+' || format[j] == '-' || format[j] == '#' || format[j] == ' ' || format[j] == '.' || format[j] >= '0' && format[j] <= '9') {
			j++
		}
		if j < len(format) {
			verbs = append(verbs, format[j])
		}
		i = j
	}
	return verbs
}
