package main

import (
	"os"
	"testing"

	"maillab/sandbox/sandboxtest"
)

// TestMain lets tests run this binary as maillab itself (for the
// pseudo-terminal test): with MAILLAB_RUN_MAIN=1 it is the real program.
// Otherwise the tests get a config directory of their own.
func TestMain(m *testing.M) {
	if os.Getenv("MAILLAB_RUN_MAIN") == "1" {
		os.Exit(Main())
	}
	sandboxtest.Main(m)
}
