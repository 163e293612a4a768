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
	os.Exit(m.Run())
}
