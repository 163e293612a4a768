// Package i18n is maillab's message catalogue: every text a user reads,
// in English and in Simplified Chinese, and the choice between them.
//
// A text is its own message id, as in gettext: the English wording in
// the code is the key, and the catalogue (zh.json, embedded) gives its
// Chinese. Formatting and lookup go through golang.org/x/text's message
// printer, language choice through its language.Matcher. Protocol text
// (commands, replies, headers, message data) never goes through here: it
// stays byte for byte what crossed the socket.
package i18n

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// The languages maillab speaks.
var (
	English = language.English
	Chinese = language.SimplifiedChinese
)

// Supported lists them, English first: the fallback.
var Supported = []language.Tag{English, Chinese}

//go:embed zh.json
var zhJSON []byte

// zh maps English texts to their Chinese.
var zh = mustLoad(zhJSON)

// cat is the catalogue x/text's printers read.
var cat = build(zh)

func mustLoad(data []byte) map[string]string {
	m := map[string]string{}
	if err := json.Unmarshal(data, &m); err != nil {
		panic(fmt.Sprintf("i18n: zh.json: %v", err))
	}
	return m
}

// build makes the catalogue of the formats (texts with verbs: Tr looks
// the others up directly, so help texts with shell syntax such as "${x}",
// which x/text reads as a variable, never reach it).
func build(zh map[string]string) *catalog.Builder {
	b := catalog.NewBuilder(catalog.Fallback(English))
	for en, text := range zh {
		if !strings.Contains(en, "%") || strings.Contains(text, "${") {
			continue
		}
		if err := b.SetString(Chinese, en, text); err != nil {
			panic(fmt.Sprintf("i18n: %q: %v", en, err))
		}
	}
	return b
}

// Printer writes maillab's texts in one language.
type Printer struct {
	tag language.Tag
	mp  *message.Printer
}

// New returns a printer for tag (English or Chinese).
func New(tag language.Tag) *Printer {
	if tag != Chinese {
		tag = English
	}
	return &Printer{tag: tag, mp: message.NewPrinter(tag, message.Catalog(cat))}
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

// Code is the language's short name: "en" or "zh".
func (p *Printer) Code() string {
	if Or(p).tag == Chinese {
		return "zh"
	}
	return "en"
}

// Chinese reports whether the printer writes Chinese.
func (p *Printer) Chinese() bool { return Or(p).tag == Chinese }

// Tr returns text in the printer's language (text as it is when the
// catalogue lacks it). text holds no formatting verbs.
func (p *Printer) Tr(text string) string {
	p = Or(p)
	if p.tag == English {
		return text
	}
	if t, ok := zh[text]; ok {
		return t
	}
	return text
}

// Trf formats args with format's translation, as fmt.Sprintf does (in
// Chinese through x/text's printer, which writes numbers as the language
// does; English is the format itself, formatted by fmt).
func (p *Printer) Trf(format string, args ...any) string {
	p = Or(p)
	if p.tag == English {
		return fmt.Sprintf(format, args...)
	}
	return p.mp.Sprintf(format, args...)
}

// N marks text for the catalogue without translating it, for tables of
// texts translated later with Tr.
func N(text string) string { return text }

// Has reports whether the Chinese catalogue has text.
func Has(text string) bool {
	_, ok := zh[text]
	return ok
}

// Missing lists the texts the Chinese catalogue lacks, each once.
func Missing(texts []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range texts {
		if !Has(t) && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// Join joins list items the language's way: "a, b" or "a、b".
func (p *Printer) Join(items []string) string {
	if p.Chinese() {
		return strings.Join(items, "、")
	}
	return strings.Join(items, ", ")
}
