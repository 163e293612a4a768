package main

import (
	"os"
	"testing"
)

// TestMain lets tests run this binary as maillab itself (for the
// pseudo-terminal test): with MAILLAB_RUN_MAIN=1 it is the real program.
func TestMain(m *testing.M) {
	if os.Getenv("MAILLAB_RUN_MAIN") == "1" {
		os.Exit(Main())
	}
	// The sandbox CA, progress and history go to a config directory of
	// the tests' own, never the user's (the processes tests start inherit it).
	dir, err := os.MkdirTemp("", "maillab-test-config")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
