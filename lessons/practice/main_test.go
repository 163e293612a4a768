package practice

import (
	"os"
	"testing"
)

// TestMain keeps the sandbox CA and the history in a config directory of
// the tests' own, never the user's.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "maillab-test-config")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
