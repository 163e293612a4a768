package client_test

import (
	"testing"

	"maillab/sandbox/sandboxtest"
)

// TestMain gives the tests a config directory of their own and fails
// the package when a goroutine outlives them.
func TestMain(m *testing.M) { sandboxtest.Main(m) }
