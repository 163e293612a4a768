package roster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var domains = []string{"sohu.com", "sina.com"}

func TestGenerate(t *testing.T) {
	got, err := Generate(12, domains, []Entry{{"s03", "sohu.com", "424242"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 24 || got[0].Address() != "s01@sohu.com" || got[23].Address() != "s12@sina.com" {
		t.Fatalf("entries %v", got)
	}
	for i := 0; i < len(got); i += 2 {
		if got[i].Password != got[i+1].Password || len(got[i].Password) != 6 {
			t.Errorf("%s: password %q at sohu, %q at sina", got[i].Account, got[i].Password, got[i+1].Password)
		}
	}
	if got[4].Password != "424242" {
		t.Errorf("s03's kept password became %q", got[4].Password)
	}
	if _, err := Generate(0, domains, nil); err == nil {
		t.Error("0 students accepted")
	}
}

func TestReadReportsEveryBadLine(t *testing.T) {
	in := "account,domain,password\nzhangsan,sohu.com,abc123\nli si,sina.com,x\nwang,gmail.com,x\nzhao,sina.com,\nzhangsan,SOHU.com,again\nqian,sina.com\n"
	got, err := Read(strings.NewReader(in), "class.csv", domains)
	for _, want := range []string{"class.csv:3: account \"li si\"", "class.csv:4: domain \"gmail.com\"", "class.csv:5: zhao@sina.com: the password", "class.csv:6: zhangsan@sohu.com appears twice (first on line 2)", "class.csv:7: 2 fields"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if len(got) != 1 || got[0].Address() != "zhangsan@sohu.com" {
		t.Errorf("good entries: %v", got)
	}
}

func TestSaveAndLoad(t *testing.T) {
	file := filepath.Join(t.TempDir(), "roster.csv")
	want, _ := Generate(3, domains, nil)
	if err := Save(file, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(file, domains)
	if err != nil || len(got) != len(want) || got[5] != want[5] {
		t.Fatalf("loaded %v, %v", got, err)
	}
}

// TestClassKeptInMaildir: a restart with the same --maildir keeps the
// passwords; with no option at all, the kept roster is the class.
func TestClassKeptInMaildir(t *testing.T) {
	dir := t.TempDir()
	first, err := Class(Options{Students: 5, KeepDir: dir, Domains: domains})
	if err != nil || len(first) != 10 {
		t.Fatal(first, err)
	}
	again, _ := Class(Options{Students: 6, KeepDir: dir, Domains: domains})
	if again[0].Password != first[0].Password || len(again) != 12 {
		t.Errorf("restart changed s01's password or the count: %v", again)
	}
	kept, _ := Class(Options{KeepDir: dir, Domains: domains})
	if len(kept) != 12 {
		t.Errorf("kept roster: %d entries", len(kept))
	}
	if none, err := Class(Options{Domains: domains}); none != nil || err != nil {
		t.Errorf("no class: %v %v", none, err)
	}
	if _, err := Class(Options{Students: 2, Accounts: "x.csv"}); err == nil {
		t.Error("both --students and --accounts accepted")
	}
}

// TestHostileRosters: a BOM is fine; a control character in a password is
// refused with its line; a file that is no regular file, or too big, is
// refused before it is read.
func TestHostileRosters(t *testing.T) {
	known := []string{"sohu.com", "sina.com"}
	if e, err := Read(strings.NewReader("\ufeffaccount,domain,password\ns01,sohu.com,111111\n"), "bom.csv", known); err != nil || len(e) != 1 {
		t.Errorf("a roster with a BOM: %v %v", e, err)
	}
	_, err := Read(strings.NewReader("s01,sohu.com,111111\ns02,sohu.com,12\x1b[2J\x07\n"), "evil.csv", known)
	if err == nil || !strings.Contains(err.Error(), "evil.csv:2:") || !strings.Contains(err.Error(), "control character") {
		t.Errorf("a password with ESC and BEL: %v", err)
	}
	if _, err := Load("/dev/zero", known); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("/dev/zero: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.csv")
	os.WriteFile(big, []byte(strings.Repeat("s01,sohu.com,111111\n", 60000)), 0o600)
	if _, err := Load(big, known); err == nil || !strings.Contains(err.Error(), "a roster is at most") {
		t.Errorf("a 1.2 MB roster: %v", err)
	}
}
