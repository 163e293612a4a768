package main

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"maillab/trace/i18n"
)

// TestHelpTextsHaveChinese: every command's help, every flag's usage and
// every completion's description has its Chinese.
func TestHelpTextsHaveChinese(t *testing.T) {
	streams, _, _ := testStreams("")
	for _, s := range i18n.Missing(helpTexts(newRootCmd(streams, nil))) {
		t.Errorf("no Chinese for the help text %q", s)
	}
}

// cjk finds a Chinese character.
var cjk = regexp.MustCompile(`\p{Han}`)

var update = flag.Bool("update", false, "rewrite the golden files of the Chinese help")

// TestHelpInChinese: under LANG=zh_CN.UTF-8 every command's help is
// Chinese (its headings and its description) and matches its golden file
// in testdata/help.zh (go test ./cmd/maillab -update rewrites them).
func TestHelpInChinese(t *testing.T) {
	streams, _, _ := testStreams("")
	root := newRootCmd(streams, nil)
	var paths [][]string
	walk(root, func(c *cobra.Command) {
		paths = append(paths, strings.Fields(c.CommandPath())[1:])
	})
	for _, path := range paths {
		streams, out, _ := testStreams("")
		streams.Getenv = func(name string) string {
			if name == "LANG" {
				return "zh_CN.UTF-8"
			}
			return ""
		}
		root := newRootCmd(streams, append(append([]string{}, path...), "--help"))
		if err := root.ExecuteContext(t.Context()); err != nil {
			t.Fatalf("%v --help: %v", path, err)
		}
		help := out.String()
		if !strings.Contains(help, "用法：") || !cjk.MatchString(strings.SplitN(help, "\n", 2)[0]) {
			t.Errorf("maillab %s --help is not Chinese:\n%s", strings.Join(path, " "), help)
		}
		checkGolden(t, filepath.Join("testdata", "help.zh", strings.Join(append([]string{"maillab"}, path...), "-")+".golden"), help)
	}
}

// checkGolden compares output with its golden file (-update rewrites it).
func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		os.MkdirAll(filepath.Dir(golden), 0o755)
		os.WriteFile(golden, []byte(got), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/maillab -update writes it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (go test ./cmd/maillab -update if intended):\n%s", golden, got)
	}
}
