package i18n

import (
	"strings"

	"golang.org/x/text/language"
)

// matcher picks the closest language maillab speaks. Every Chinese locale
// maps to Simplified Chinese, zh_TW and zh_HK included, until a
// Traditional catalogue exists.
var matcher = language.NewMatcher(Supported)

// EnvVars are the environment variables that choose the language, in
// order: maillab's own, then the POSIX locale's.
var EnvVars = []string{"MAILLAB_LANG", "LC_ALL", "LC_MESSAGES", "LANG"}

// Choice is the chosen language and what chose it.
type Choice struct {
	Printer *Printer
	From    string // "--lang", an environment variable's name, or "default"
	Value   string // what it said
}

// Choose picks the language: flag (--lang) when set, else the first of
// EnvVars that names a locale, else English. getenv reads the
// environment (os.Getenv).
func Choose(flag string, getenv func(string) string) (Choice, error) {
	if flag != "" {
		tag, ok := Parse(flag)
		if !ok || !speaks(flag) {
			return Choice{}, Errorf("--lang %q: choose one of %s", flag, strings.Join(Codes(), ", "))
		}
		return Choice{Printer: New(tag), From: "--lang", Value: flag}, nil
	}
	for _, name := range EnvVars {
		value := getenv(name)
		if value == "" {
			continue
		}
		tag, ok := Parse(value)
		if !ok || name == "MAILLAB_LANG" && !speaks(value) {
			if name == "MAILLAB_LANG" {
				return Choice{}, Errorf("MAILLAB_LANG=%q: choose one of %s", value, strings.Join(Codes(), ", "))
			}
			return Choice{Printer: New(English), From: name, Value: value}, nil // C, POSIX or a language maillab lacks
		}
		return Choice{Printer: New(tag), From: name, Value: value}, nil
	}
	return Choice{Printer: New(English), From: "default"}, nil
}

// Parse reads a language or a POSIX locale (zh_CN.UTF-8, zh_TW, en_US,
// zh-Hans, C) and returns the language maillab speaks for it; false when
// it names none (C, POSIX, an unknown name). A language maillab does not
// speak (fr_FR) gives English.
func Parse(s string) (language.Tag, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, ".@"); i >= 0 {
		s = s[:i] // zh_CN.UTF-8, de_DE@euro
	}
	if s == "" || s == "C" || s == "POSIX" {
		return English, false
	}
	tag, err := language.Parse(strings.ReplaceAll(s, "_", "-"))
	if err != nil {
		return English, false
	}
	if t, ok := byBase(tag); ok {
		return t, true // zh_TW and zh_HK too (Low confidence for the matcher)
	}
	_, index, confidence := matcher.Match(tag)
	if confidence == language.No {
		return English, true
	}
	return Supported[index], true
}

// byBase is the language maillab speaks whose base language (zh, en) is
// tag's, whatever its region or script.
func byBase(tag language.Tag) (language.Tag, bool) {
	base, _ := tag.Base()
	for _, t := range Supported {
		if b, _ := t.Base(); b == base {
			return t, true
		}
	}
	return English, false
}

// Codes are the short names of the languages maillab speaks: en, zh.
func Codes() []string {
	var out []string
	for _, t := range Supported {
		out = append(out, New(t).Code())
	}
	return out
}

// speaks reports whether s names a language maillab speaks (any region
// or script), as --lang and MAILLAB_LANG must.
func speaks(s string) bool {
	tag, err := language.Parse(strings.ReplaceAll(strings.SplitN(s, ".", 2)[0], "_", "-"))
	if err != nil {
		return false
	}
	_, ok := byBase(tag)
	return ok
}
