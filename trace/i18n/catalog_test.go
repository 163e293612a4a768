package i18n

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var missing = flag.String("missing", "", "write the English texts a catalogue lacks to this file, as JSON")

// texts lists every text the code passes to the catalogue: the literal
// first argument of Tr, Trf, N and T, the format of every error
// (i18n.Errorf, i18n.NewError), and "count: NOUN" for Count(n, "NOUN").
func texts(t *testing.T) map[string]string {
	t.Helper()
	root := filepath.Join("..", "..")
	found := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		return scan(path, found)
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func scan(path string, found map[string]string) error {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		return err
	}
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		arg := 0
		prefix := ""
		pkg := ""
		if x, ok := sel.X.(*ast.Ident); ok {
			pkg = x.Name
		}
		switch sel.Sel.Name {
		case "Tr", "Trf", "N", "T":
		case "Errorf", "NewError": // maillab's errors, put into words by TranslateError
			if pkg != "i18n" {
				return true
			}
		case "Count", "CountOf":
			if len(call.Args) != 2 || pkg == "strings" || pkg == "bytes" {
				return true
			}
			arg, prefix = 1, "count: "
		case "warn", "errf": // decode's warnings, lessons' parse errors
		case "layer": // decode's steps: layer(what, format, ...)
			if len(call.Args) < 2 {
				return true
			}
			arg = 1
		default:
			return true
		}
		lit, ok := call.Args[arg].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		s, err := strconv.Unquote(lit.Value)
		if err == nil {
			found[prefix+s] = fset.Position(lit.Pos()).String()
		}
		return true
	})
	return nil
}

// TestEveryTextIsInEveryCatalogue: every text the code marks for the
// catalogue has its translation in every catalogue file (zh.json, and any
// language added beside it); adding an English text without one fails
// here. Run with -missing FILE to list what is lacking.
func TestEveryTextIsInEveryCatalogue(t *testing.T) {
	var lacking []string
	for text, where := range texts(t) {
		for _, tag := range tags {
			if _, ok := New(tag).dict()[text]; !ok {
				lacking = append(lacking, text)
				if *missing == "" {
					t.Errorf("%s: no %s for %q", where, New(tag).Code(), text)
				}
			}
		}
	}
	if *missing != "" {
		sort.Strings(lacking)
		writeMissing(t, *missing, lacking)
	}
}

// TestTranslationsKeepVerbs: a translation has the formatting verbs of
// its English (in any order), so no argument is lost or misprinted.
func TestTranslationsKeepVerbs(t *testing.T) {
	for _, tag := range tags {
		for en, text := range New(tag).dict() {
			if strings.TrimSpace(text) == "" {
				t.Errorf("%q: empty translation", en)
				continue
			}
			if a, b := verbs(en), verbs(text); a != b {
				t.Errorf("%q: verbs %s, its %s %q has %s", en, a, New(tag).Code(), text, b)
			}
		}
	}
}

// verbs lists a format's verbs, sorted: "%d %s %s".
func verbs(format string) string {
	var out []string
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 == len(format) {
			continue
		}
		j := i + 1
		if format[j] == '%' {
			i++
			continue
		}
		if format[j] == '[' { // %[2]s
			if k := strings.IndexByte(format[j:], ']'); k > 0 {
				j += k + 1
			}
		}
		for j < len(format) && strings.IndexByte("+-# 0123456789.", format[j]) >= 0 {
			j++
		}
		if j < len(format) {
			out = append(out, "%"+string(format[j]))
		}
		i = j
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func writeMissing(t *testing.T, file string, lacking []string) {
	var b strings.Builder
	b.WriteString("{\n")
	for i, s := range lacking {
		b.WriteString("  " + strconv.Quote(s) + ": \"\"")
		if i < len(lacking)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d texts lack Chinese: %s", len(lacking), file)
}
