package practice

import (
	"testing"

	"maillab/sandbox/sandboxtest"
)

// TestMain keeps the sandbox CA and the history in a config directory of
// the tests' own, never the user's.
func TestMain(m *testing.M) { sandboxtest.Main(m) }
