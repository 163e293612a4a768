package i18n

import (
	"fmt"
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
			return Choice{}, fmt.Errorf("--lang %q: choose en or zh", flag)
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
				return Choice{}, fmt.Errorf("MAILLAB_LANG=%q: choose en or zh", value)
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
	_, index, confidence := matcher.Match(tag)
	if base, _ := tag.Base(); base.String() == "zh" {
		return Chinese, true // zh_TW and zh_HK too (Low confidence for the matcher)
	}
	if confidence == language.No {
		return English, true
	}
	return Supported[index], true
}

// speaks reports whether s names English or Chinese (any region or
// script), as --lang and MAILLAB_LANG must.
func speaks(s string) bool {
	tag, err := language.Parse(strings.ReplaceAll(strings.SplitN(s, ".", 2)[0], "_", "-"))
	if err != nil {
		return false
	}
	base, _ := tag.Base()
	return base.String() == "en" || base.String() == "zh"
}
