package trace

import (
	"encoding/json"
	"os"
	"sort"
	"testing"

	"maillab/trace/i18n"
)

// tableTexts lists the English of every note table: texts looked up by
// key and translated at the lookup, which the catalogue test's scan of
// Tr calls cannot see.
func tableTexts() []string {
	var out []string
	add := func(texts ...string) { out = append(out, texts...) }
	for _, m := range []map[string]string{codeNotes, ehloNotes, smtpCommandNotes, respCodeNotes, foreignPOP3Notes,
		pop3CommandNotes, capaNotes, headerNotes, contentTypeNotes, dsnFields} {
		for _, v := range m {
			add(v)
		}
	}
	for _, v := range smtpReplyNotes {
		add(v)
	}
	for _, v := range pop3ReplyNotes {
		add(v)
	}
	for _, v := range classNotes {
		add(v)
	}
	for _, v := range actionNotes {
		add(v)
	}
	add(StepTitles[1:]...)
	return out
}

// TestNoteTablesHaveChinese: every note of every table has its Chinese.
// With MAILLAB_MISSING=FILE the lacking texts are written there.
func TestNoteTablesHaveChinese(t *testing.T) {
	var lacking []string
	for _, s := range tableTexts() {
		if !i18n.Has(s) {
			lacking = append(lacking, s)
		}
	}
	if file := os.Getenv("MAILLAB_MISSING"); file != "" {
		sort.Strings(lacking)
		m := map[string]string{}
		for _, s := range lacking {
			m[s] = ""
		}
		data, _ := json.MarshalIndent(m, "", "  ")
		os.WriteFile(file, data, 0o644)
		return
	}
	for _, s := range lacking {
		t.Errorf("no Chinese for %q", s)
	}
}
