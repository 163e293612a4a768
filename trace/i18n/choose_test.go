package i18n

import "testing"

func TestChoose(t *testing.T) {
	tests := []struct {
		flag     string
		env      map[string]string
		want     string // "en", "zh", or "error"
		wantFrom string
	}{
		{"", nil, "en", "default"},
		{"zh", map[string]string{"LANG": "en_US.UTF-8"}, "zh", "--lang"},
		{"en", map[string]string{"LANG": "zh_CN.UTF-8"}, "en", "--lang"},
		{"zh_CN", nil, "zh", "--lang"},
		{"fr", nil, "error", ""},
		{"", map[string]string{"LANG": "zh_CN.UTF-8"}, "zh", "LANG"},
		{"", map[string]string{"LANG": "zh_SG"}, "zh", "LANG"},
		{"", map[string]string{"LANG": "zh_TW.Big5"}, "zh", "LANG"},
		{"", map[string]string{"LANG": "zh_HK.UTF-8"}, "zh", "LANG"},
		{"", map[string]string{"LANG": "zh-Hans"}, "zh", "LANG"},
		{"", map[string]string{"LANG": "fr_FR.UTF-8"}, "en", "LANG"},
		{"", map[string]string{"LANG": "C.UTF-8"}, "en", "LANG"},
		{"", map[string]string{"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en", "LC_ALL"},
		{"", map[string]string{"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh", "LC_MESSAGES"},
		{"", map[string]string{"MAILLAB_LANG": "zh", "LC_ALL": "en_US.UTF-8"}, "zh", "MAILLAB_LANG"},
		{"", map[string]string{"MAILLAB_LANG": "klingon"}, "error", ""},
	}
	for _, tt := range tests {
		c, err := Choose(tt.flag, func(k string) string { return tt.env[k] })
		switch {
		case tt.want == "error":
			if err == nil {
				t.Errorf("%q %v: no error", tt.flag, tt.env)
			}
		case err != nil:
			t.Errorf("%q %v: %v", tt.flag, tt.env, err)
		case c.Printer.Code() != tt.want || c.From != tt.wantFrom:
			t.Errorf("%q %v: got %s from %s, want %s from %s", tt.flag, tt.env, c.Printer.Code(), c.From, tt.want, tt.wantFrom)
		}
	}
}

// TestCountAndJoin: Chinese counts take measure words and no plural.
func TestCountAndJoin(t *testing.T) {
	zh, en := New(Chinese), EnglishPrinter
	for _, tt := range []struct{ got, want string }{
		{en.Count(1, "message"), "1 message"}, {en.Count(2500, "message"), "2,500 messages"},
		{zh.Count(1, "message"), "1 封邮件"}, {zh.Count(2500, "recipient"), "2,500 位收件人"},
		{zh.Join([]string{"a", "b"}), "a、b"}, {en.Join([]string{"a", "b"}), "a, b"},
		{zh.Trf("deleted %s from %s's mailbox", "1 封邮件", "bbb"), "从 bbb 的邮箱删除了 1 封邮件"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
