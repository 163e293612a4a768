package trace

import (
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
func TestNoteTablesHaveChinese(t *testing.T) {
	for _, s := range i18n.Missing(tableTexts()) {
		t.Errorf("no Chinese for %q", s)
	}
}
