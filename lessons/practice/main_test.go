package practice

import (
	"testing"

	"maillab/sandbox/client"
	"maillab/sandbox/sandboxtest"
	"maillab/trace/i18n"
)

// TestMain keeps the sandbox CA and the history in a config directory of
// the tests' own, never the user's.
func TestMain(m *testing.M) { sandboxtest.Main(m) }

// TestStateNamesHaveChinese: the prompt shows state names in the
// learner's language.
func TestStateNamesHaveChinese(t *testing.T) {
	for _, names := range [][]string{client.SMTPStates, client.POP3States} {
		for _, n := range names {
			if !i18n.Has(n) {
				t.Errorf("no Chinese for the state %q", n)
			}
		}
	}
}
