package trace

import (
	"strings"
	"testing"

	"maillab/trace/proto"
)

func TestMaskerHidesStudentsOnly(t *testing.T) {
	public := func(name, server string) bool {
		return name == "gacl" || name == "gacl@sohu.com" || name == "bbb"
	}
	tests := []struct {
		name  string
		proto proto.Name
		turns []turn
		shown []string // lines that must stay
		gone  []string // secrets that must not appear in any line or note
	}{
		{"demo login stays", SMTP, []turn{c("AUTH LOGIN"), s("334 VXNlcm5hbWU6"), c("Z2FjbA=="), s("334 UGFzc3dvcmQ6"), c("MTIzNDU2"), s("235 2.7.0 ok")},
			[]string{"Z2FjbA==", "MTIzNDU2"}, nil},
		{"student login hidden", SMTP, []turn{c("AUTH LOGIN"), s("334 VXNlcm5hbWU6"), c("czA3"), s("334 UGFzc3dvcmQ6"), c("NDA0MjQy"), s("235 2.7.0 ok"), c("MAIL FROM:<s07@sohu.com>")},
			[]string{"AUTH LOGIN", "MAIL FROM:<s07@sohu.com>"}, []string{"czA3", "NDA0MjQy", "404242"}},
		{"initial response hidden", SMTP, []turn{c("AUTH LOGIN czA3"), s("334 UGFzc3dvcmQ6"), c("NDA0MjQy")},
			nil, []string{"czA3", "NDA0MjQy", "404242"}},
		{"plain blob hidden", SMTP, []turn{c("AUTH PLAIN AHMwNwA0MDQyNDI="), s("535 5.7.8 no"), c("AUTH PLAIN"), s("334 "), c("AHMwNwA0MDQyNDI=")},
			nil, []string{"AHMwNwA0MDQyNDI=", "404242"}},
		{"demo plain stays", SMTP, []turn{c("AUTH PLAIN AGdhY2wAMTIzNDU2")},
			[]string{"AUTH PLAIN AGdhY2wAMTIzNDU2"}, nil},
		{"pop3 student pass hidden", POP3, []turn{s("+OK ready"), c("USER s07"), s("+OK"), c("PASS 404242")},
			[]string{"USER s07"}, []string{"404242"}},
		{"pop3 demo pass stays", POP3, []turn{s("+OK ready"), c("USER bbb"), s("+OK"), c("PASS 123456")},
			[]string{"PASS 123456"}, nil},
		{"unknown name hidden", POP3, []turn{s("+OK ready"), c("USER nobody"), s("+OK"), c("PASS hunter2")},
			nil, []string{"hunter2"}},
		{"a password typed as the user name hidden, with its answer", POP3, []turn{s("+OK ready"), c("USER 078572"), s("+OK now send PASS for 078572"), c("USER s07")},
			[]string{"USER s07"}, []string{"078572"}},
		{"password typed after a login gone wrong", SMTP, []turn{c("AUTH LOGIN"), s("334 VXNlcm5hbWU6"), c("s07"), s("501 5.5.2 cannot decode Base64 answer"), c("404242"), s("500 5.5.1 command not recognized: 404242"), c("NOOP")},
			[]string{"AUTH LOGIN", "NOOP"}, []string{"404242"}},
		{"pipelined answers hidden before their challenges", SMTP, []turn{c("AUTH LOGIN"), c("czA3"), c("NDA0MjQy"), s("334 VXNlcm5hbWU6"), s("334 UGFzc3dvcmQ6"), s("235 2.7.0 ok")},
			nil, []string{"czA3", "NDA0MjQy", "404242"}},
		{"undecodable user name hidden", SMTP, []turn{c("AUTH LOGIN"), s("334 VXNlcm5hbWU6"), c("!!!"), s("334 UGFzc3dvcmQ6"), c("MTIzNDU2")},
			nil, []string{"MTIzNDU2", "123456"}},
		{"postmaster hidden", SMTP, []turn{c("AUTH PLAIN AHBvc3RtYXN0ZXIAc2VjcmV0")},
			nil, []string{"AHBvc3RtYXN0ZXIAc2VjcmV0", "secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			known := func(name, server string) bool { return public(name, server) || name == "s07" || name == "s07@sohu.com" }
			ann, m := NewAnnotator(), &Masker{Public: public, Known: known}
			var all strings.Builder
			for _, e := range through(tt.proto, "s1", tt.turns...) {
				ann.Annotate(&e)
				m.Mask(&e)
				all.WriteString(e.Line + " # " + e.Note + "\n")
			}
			for _, want := range tt.shown {
				if !strings.Contains(all.String(), want) {
					t.Errorf("%q was hidden:\n%s", want, all.String())
				}
			}
			for _, secret := range tt.gone {
				if strings.Contains(all.String(), secret) {
					t.Errorf("%q shown:\n%s", secret, all.String())
				}
			}
		})
	}
}
