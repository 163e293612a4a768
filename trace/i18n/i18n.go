// Package i18n is maillab's message catalogue: every text a user reads,
// in English and in each language a catalogue file gives, and the choice
// between them.
//
// A text is its own message id, as in gettext: the English wording in
// the code is the key, and a catalogue (LANG.json, embedded: zh.json for
// Simplified Chinese) gives its translation. Formatting and lookup go
// through golang.org/x/text's message printer, language choice through its
// language.Matcher. Protocol text (commands, replies, headers, message
// data) never goes through here: it stays byte for byte what crossed the
// socket. A catalogue is read only when its language is first used, so a
// run in English costs nothing for the others.
//
// Words travel as data (Text, Error: a format and its arguments) and are
// put into words at the edge, in the reader's language; nothing is
// written in English first and parsed back, but for the errors of other
// libraries (Foreign). README.md in this folder says how to add a
// language.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// The languages maillab speaks: English, the catalogues' keys, and one
// language per catalogue file.
var (
	English = language.English
	Chinese = language.Make("zh") // Simplified Chinese: zh.json
)

//go:embed *.json
var files embed.FS

// catalogue is one language's translations, read when first needed.
type catalogue struct {
	tag  language.Tag
	file string
	once sync.Once
	dict map[string]string // English text -> translation
	cat  *catalog.Builder  // the formats, for x/text's printer
}

// catalogues are the languages of the files, by tag; tags lists them in
// order.
var catalogues, tags = func() (map[language.Tag]*catalogue, []language.Tag) {
	m := map[language.Tag]*catalogue{}
	var order []language.Tag
	entries, _ := files.ReadDir(".")
	for _, e := range entries {
		tag := language.Make(strings.TrimSuffix(e.Name(), path.Ext(e.Name())))
		m[tag] = &catalogue{tag: tag, file: e.Name()}
		order = append(order, tag)
	}
	return m, order
}()

// Supported lists the languages, English first: the fallback.
var Supported = append([]language.Tag{English}, tags...)

// load reads the catalogue's file and builds its formats.
func (c *catalogue) load() {
	c.once.Do(func() {
		data, err := files.ReadFile(c.file)
		if err != nil {
			panic(fmt.Sprintf("i18n: %s: %v", c.file, err))
		}
		c.dict = map[string]string{}
		if err := json.Unmarshal(data, &c.dict); err != nil {
			panic(fmt.Sprintf("i18n: %s: %v", c.file, err))
		}
		c.cat = catalog.NewBuilder(catalog.Fallback(English))
		for en, text := range c.dict {
			// Texts without verbs are looked up directly (Tr), so help
			// texts with shell syntax such as "${x}", which x/text reads
			// as a variable, never reach it; %w (errors) formats as %v.
			if !strings.Contains(en, "%") || strings.Contains(text, "${") {
				continue
			}
			if err := c.cat.SetString(c.tag, withoutW(en), withoutW(text)); err != nil {
				panic(fmt.Sprintf("i18n: %s: %q: %v", c.file, en, err))
			}
		}
	})
}

// withoutW is a format with %w and %[n]w (which only fmt.Errorf knows) as
// %v.
func withoutW(format string) string {
	if !strings.Contains(format, "w") {
		return format
	}
	return wVerb.ReplaceAllString(format, "%${1}v")
}

var wVerb = regexp.MustCompile(`%(\[\d+\])?w`)

// Printer writes maillab's texts in one language.
type Printer struct {
	tag  language.Tag
	c    *catalogue // nil for English
	once sync.Once
	mp   *message.Printer
}

// New returns a printer for tag (English when no catalogue has it).
func New(tag language.Tag) *Printer {
	if c, ok := catalogues[tag]; ok {
		return &Printer{tag: tag, c: c}
	}
	return &Printer{tag: English}
}

// EnglishPrinter is the printer of the default language.
var EnglishPrinter = New(English)

// Or returns p, or the English printer when p is nil: a zero option means
// English.
func Or(p *Printer) *Printer {
	if p == nil {
		return EnglishPrinter
	}
	return p
}

// Tag is the printer's language.
func (p *Printer) Tag() language.Tag { return Or(p).tag }

// Code is the language's short name: "en", "zh".
func (p *Printer) Code() string {
	p = Or(p)
	if p.c == nil {
		return "en"
	}
	return strings.TrimSuffix(p.c.file, path.Ext(p.c.file))
}

// Translates reports whether the printer has a catalogue (any language
// but English, whose texts are the keys themselves).
func (p *Printer) Translates() bool { return Or(p).c != nil }

// dict is the printer's translations, read on first use.
func (p *Printer) dict() map[string]string {
	if p.c == nil {
		return nil
	}
	p.c.load()
	return p.c.dict
}

// Tr returns text in the printer's language (text as it is when the
// catalogue lacks it). text holds no formatting verbs.
func (p *Printer) Tr(text string) string {
	if t, ok := Or(p).dict()[text]; ok {
		return t
	}
	return text
}

// word is a word of the language's own (a list separator, a full stop)
// under a key of the catalogue, with its English.
func (p *Printer) word(key, english string) string {
	if t, ok := Or(p).dict()[key]; ok {
		return t
	}
	return english
}

// Trf formats args with format's translation, as fmt.Sprintf does
// (through x/text's printer, which writes numbers as the language does;
// English is the format itself, formatted by fmt).
func (p *Printer) Trf(format string, args ...any) string {
	p = Or(p)
	if p.c == nil {
		return fmt.Sprintf(format, args...)
	}
	p.once.Do(func() {
		p.c.load()
		p.mp = message.NewPrinter(p.tag, message.Catalog(p.c.cat))
	})
	return p.mp.Sprintf(format, args...)
}

// N marks text for the catalogue without translating it, for tables of
// texts translated later with Tr.
func N(text string) string { return text }

// Has reports whether every catalogue has text.
func Has(text string) bool {
	for _, tag := range tags {
		if _, ok := New(tag).dict()[text]; !ok {
			return false
		}
	}
	return true
}

// Missing lists the texts some catalogue lacks, each once.
func Missing(texts []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range texts {
		if !Has(t) && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// Join joins list items the language's way: "a, b" or "a、b".
func (p *Printer) Join(items []string) string {
	return strings.Join(items, p.word("list separator", ", "))
}

// Sentence makes a title a sentence: its first letter upper case (where
// the language has case) and the language's full stop.
func (p *Printer) Sentence(s string) string {
	if s == "" {
		return s
	}
	first := []rune(s)[0]
	return strings.ToUpper(string(first)) + s[len(string(first)):] + p.word("full stop", ".")
}
