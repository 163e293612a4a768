package web

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"maillab/trace/i18n"
)

var (
	jsText    = regexp.MustCompile(`\b[LF]\("((?:[^"\\]|\\.)*)"`)
	jsTitles  = regexp.MustCompile(`"([①-⑥] [^"]+)"`)
	htmlText  = regexp.MustCompile(`>([^<>]*[A-Za-z][^<>]*)<`)
	htmlAttrs = regexp.MustCompile(`(?:placeholder|aria-label|title)="([^"]*[a-z][^"]*)"`)
)

// pageTexts lists the words of the page's assets: texts of the HTML and
// their labels, and what the scripts pass to L and F.
func pageTexts(t *testing.T) []string {
	var out []string
	for _, name := range []string{"index.html", "teacher.html", "common.js", "model.js", "diagram.js", "app.js", "teacher.js"} {
		data, err := assets.ReadFile("assets/" + name)
		if err != nil {
			t.Fatal(err)
		}
		src := string(data)
		if strings.HasSuffix(name, ".js") {
			for _, m := range jsText.FindAllStringSubmatch(src, -1) {
				out = append(out, m[1])
			}
			for _, m := range jsTitles.FindAllStringSubmatch(src, -1) {
				out = append(out, m[1])
			}
			continue
		}
		for _, re := range []*regexp.Regexp{htmlText, htmlAttrs} {
			for _, m := range re.FindAllStringSubmatch(src, -1) {
				if s := strings.TrimSpace(m[1]); s != "" && !hostName.MatchString(s) {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// hostName is a text the page shows as it is: a server's name, an
// example address.
var hostName = regexp.MustCompile(`^(smtp|pop3)\.[a-z.]+$|^[a-z0-9]+@[a-z.]+$`)

// TestPageWordsAreTranslated: every word of the page is in pageStrings
// (so the catalogue has its Chinese), and strings.json serves them.
func TestPageWordsAreTranslated(t *testing.T) {
	for _, s := range pageTexts(t) {
		if !slices.Contains(pageStrings, s) {
			t.Errorf("the page's %q is not in pageStrings", s)
		}
	}
	for _, s := range pageStrings {
		if !i18n.Has(s) {
			t.Errorf("no Chinese for the page's %q", s)
		}
	}
	sb, page, _ := classroom(t, 1)
	zh, err := Start(Config{Sandbox: sb, Addr: "127.0.0.1:0", Lang: i18n.New(i18n.Chinese)})
	if err != nil {
		t.Fatal(err)
	}
	defer zh.Close()
	resp, err := http.Get(zh.URL() + "api/class")
	if err != nil {
		t.Fatal(err)
	}
	refusal, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(refusal), "需要教师令牌") {
		t.Errorf("the Chinese page refuses in English: %s %q", resp.Status, refusal)
	}
	for _, tt := range []struct {
		url, lang, text string
	}{{page.URL(), "en", ""}, {zh.URL(), "zh", "一封电子邮件的旅程"}} {
		resp, err := http.Get(tt.url + "strings.json")
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Lang    string
			Strings map[string]string
		}
		json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if got.Lang != tt.lang || tt.text != "" && got.Strings["How an e-mail travels"] != tt.text {
			t.Errorf("%s strings.json: %+v", tt.lang, got.Lang)
		}
	}
}
