package main

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"maillab/trace/i18n"
)

// TestHelpTextsHaveChinese: every command's help, every flag's usage and
// every completion's description has its Chinese. With MAILLAB_MISSING=FILE
// the lacking texts are written there.
func TestHelpTextsHaveChinese(t *testing.T) {
	streams, _, _ := testStreams("")
	var lacking []string
	for _, text := range helpTexts(newRootCmd(streams, nil)) {
		if !i18n.Has(text) {
			lacking = append(lacking, text)
		}
	}
	if file := os.Getenv("MAILLAB_MISSING"); file != "" {
		m := map[string]string{}
		for _, s := range lacking {
			m[s] = ""
		}
		data, _ := json.MarshalIndent(m, "", "  ")
		os.WriteFile(file, data, 0o644)
		return
	}
	for _, s := range lacking {
		t.Errorf("no Chinese for the help text %q", s)
	}
}

// cjk finds a Chinese character.
var cjk = regexp.MustCompile(`\p{Han}`)

// TestHelpInChinese: under LANG=zh_CN.UTF-8 (or --lang zh) every
// command's help is Chinese: its headings and its description.
func TestHelpInChinese(t *testing.T) {
	streams, _, _ := testStreams("")
	root := newRootCmd(streams, nil)
	var paths [][]string
	walk(root, func(c *cobra.Command) {
		paths = append(paths, strings.Fields(c.CommandPath())[1:])
	})
	for _, path := range paths {
		out, _, err := execute(t, t.Context(), "", append(append([]string{}, path...), "--help", "--lang", "zh")...)
		if err != nil {
			t.Fatalf("%v --help: %v", path, err)
		}
		if !strings.Contains(out, "用法：") || !cjk.MatchString(strings.SplitN(out, "\n", 2)[0]) {
			t.Errorf("maillab %s --help is not Chinese:\n%s", strings.Join(path, " "), out)
		}
	}
}
