package practice

import (
	"encoding/base64"
	"strings"
)

// Account is the learner's own account on a class sandbox: hints,
// examples and exercises use it instead of the demo accounts (gacl, aaa,
// bbb, password 123456).
type Account struct {
	User     string // the local part, e.g. "s07"
	Password string
}

// Localize rewrites a text written for the demo accounts for this
// account: names, the password, and their Base64 (AUTH LOGIN's answers and
// the AUTH PLAIN blob). A zero Account leaves text as it is.
func (a Account) Localize(text string) string {
	if a.User == "" {
		return text
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	return strings.NewReplacer(
		"AGdhY2wAMTIzNDU2", b64("\x00"+a.User+"\x00"+a.Password),
		"Z2FjbA==", b64(a.User),
		"MTIzNDU2", b64(a.Password),
		"123456", a.Password,
		"gacl", a.User, "aaa", a.User, "bbb", a.User,
	).Replace(text)
}
