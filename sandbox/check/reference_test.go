package check_test

// The references: servers maillab did not write. Postfix's smtpd and
// Dovecot's POP3 must pass every required case with the defaults, as
// Debian installs them; aiosmtpd's known bugs must show as strict
// findings. The tests start them in a directory of their own (Postfix
// needs root for that) and skip cleanly where they are not installed.

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"maillab/sandbox/check"
	"maillab/sandbox/sandboxtest"
)

// freePort is a loopback port nothing listens on, for a server started
// as a program of its own (which cannot be handed port 0).
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitListening waits until something accepts connections at addr.
func waitListening(t *testing.T, addr string, logFile string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logFile)
			t.Fatalf("nothing listens at %s after 15 s: %v\n%s", addr, err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// referenceDir is a directory the servers' own users can enter.
func referenceDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "maillab-reference-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// run runs a program, failing the test with its output if it fails. The
// output goes to a file, not a pipe: a daemon that keeps its parent's
// descriptors would hold a pipe open for ever.
func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := os.CreateTemp(t.TempDir(), "output")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		said, _ := os.ReadFile(out.Name())
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, said)
	}
}

// postfixMasterCF runs smtpd on one port and the services a queue needs.
const postfixMasterCF = `127.0.0.1:%d inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
proxymap  unix  - - n -  - proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
local     unix  - n n -  - local
virtual   unix  - n n -  - virtual
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
`

// postfixMainCF is Debian's defaults but for where things live: mail for
// postfix.test is delivered to maildir/zoo/, a Maildir Dovecot reads.
const postfixMainCF = `compatibility_level = 3.6
queue_directory = %[1]s/spool
data_directory = %[1]s/data
maillog_file = %[1]s/maillog
maillog_file_prefixes = %[1]s
mail_owner = postfix
setgid_group = postdrop
myhostname = smtp.postfix.test
mydomain = postfix.test
mydestination = localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
smtpd_tls_security_level = none
virtual_mailbox_domains = postfix.test
virtual_mailbox_base = %[1]s/maildir
virtual_mailbox_maps = inline:{ zoo@postfix.test=zoo/, postmaster@postfix.test=postmaster/ }
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
`

// startPostfix runs a Postfix of its own with the settings added to
// Debian's defaults, and returns where its smtpd listens and its
// directory.
func startPostfix(t *testing.T, settings ...string) (addr, dir string) {
	t.Helper()
	sandboxtest.NeedTool(t, "postfix")
	if os.Geteuid() != 0 {
		sandboxtest.Unavailable(t, "Postfix starts only as root")
	}
	dir = referenceDir(t)
	for _, sub := range []string{"etc", "spool", "data", "maildir"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run(t, "chown", "postfix", filepath.Join(dir, "data"))
	run(t, "chown", "nobody:nogroup", filepath.Join(dir, "maildir"))
	port := freePort(t)
	mainCF := fmt.Sprintf(postfixMainCF, dir) + strings.Join(settings, "\n") + "\n"
	write(t, filepath.Join(dir, "etc", "main.cf"), mainCF)
	write(t, filepath.Join(dir, "etc", "master.cf"), fmt.Sprintf(postfixMasterCF, port))
	run(t, "postfix", "-c", filepath.Join(dir, "etc"), "start")
	t.Cleanup(func() { exec.Command("postfix", "-c", filepath.Join(dir, "etc"), "abort").Run() })
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	waitListening(t, addr, filepath.Join(dir, "maillog"))
	return addr, dir
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// dovecotConf serves POP3 for the users of a passwd-file from the
// Maildirs Postfix delivers to.
const dovecotConf = `base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
mail_location = maildir:%[2]s/%%n
passdb {
  driver = passwd-file
  args = %[1]s/users
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=%[2]s/%%n
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = %[3]d
  }
}
service anvil {
  chroot =
}
service stats {
  chroot =
}
`

// startDovecot runs a Dovecot of its own for the user zoo (password
// secret) whose mail is in maildir/zoo, and returns where it listens.
func startDovecot(t *testing.T, maildir string) string {
	t.Helper()
	sandboxtest.NeedTool(t, "dovecot")
	if _, err := os.Stat("/usr/lib/dovecot/pop3"); err != nil {
		sandboxtest.Unavailable(t, "Dovecot's POP3 server is not installed (apt-get install dovecot-pop3d)")
	}
	dir := referenceDir(t)
	port := freePort(t)
	conf := filepath.Join(dir, "dovecot.conf")
	write(t, conf, fmt.Sprintf(dovecotConf, dir, maildir, port))
	write(t, filepath.Join(dir, "users"), "zoo:{PLAIN}secret::::::\n")
	run(t, "dovecot", "-c", conf)
	t.Cleanup(func() { exec.Command("doveadm", "-c", conf, "stop").Run() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitListening(t, addr, filepath.Join(dir, "dovecot.log"))
	return addr
}

// postfixLeniency are the strict cases Postfix, as Debian configures it,
// warns of: it takes MAIL before EHLO (smtpd_helo_required = no),
// and addresses without angle brackets (strict_rfc821_envelopes = no).
var postfixLeniency = []string{"smtp.mail-before-hello", "smtp.mail-brackets", "smtp.postmaster-brackets"}

func TestPostfix(t *testing.T) {
	addr, _ := startPostfix(t)
	report, err := check.Run(context.Background(), check.Options{Proto: "smtp", Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	requireAllPass(t, report, postfixLeniency...)
}

// TestPostfixStrict: run with strict_rfc821_envelopes and
// smtpd_helo_required, Postfix passes every case, even with --strict.
func TestPostfixStrict(t *testing.T) {
	addr, _ := startPostfix(t, "strict_rfc821_envelopes = yes", "smtpd_helo_required = yes")
	report, err := check.Run(context.Background(), check.Options{Proto: "smtp", Addr: addr, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	requireAllPass(t, report)
}

func TestDovecot(t *testing.T) {
	smtpAddr, dir := startPostfix(t)
	addr := startDovecot(t, filepath.Join(dir, "maildir"))
	report, err := check.Run(context.Background(), check.Options{Proto: "pop3", Addr: addr, User: "zoo", Password: "secret",
		Domain: "postfix.test", Fill: smtpAddr, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	requireAllPass(t, report)
	for _, res := range report.Results {
		if res.Outcome == check.Skip && res.Case.ID != "pop3.stls" {
			t.Errorf("%s skipped: %s", res.Case.ID, res.Want.In(nil))
		}
	}
}

// startAiosmtpd runs aiosmtpd's own command-line server (Debian's
// python3-aiosmtpd) and returns where it listens.
func startAiosmtpd(t *testing.T) string {
	t.Helper()
	python := "/usr/bin/python3"
	if exec.Command(python, "-c", "import aiosmtpd").Run() != nil {
		sandboxtest.Unavailable(t, "aiosmtpd is not installed (apt-get install python3-aiosmtpd)")
	}
	out, err := exec.Command(python, "-c", "import aiosmtpd; print(aiosmtpd.__version__)").Output()
	if err != nil {
		t.Fatal(err)
	}
	if version := strings.TrimSpace(string(out)); version != aiosmtpdVersion {
		t.Skipf("aiosmtpd %s: its known bugs are pinned for %s", version, aiosmtpdVersion)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	log := filepath.Join(t.TempDir(), "aiosmtpd.log")
	logFile, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-m", "aiosmtpd", "-n", "-l", addr)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logFile.Close()
	})
	waitListening(t, addr, log)
	return addr
}

// aiosmtpdVersion is the version whose known bugs aiosmtpdFindings pins.
const aiosmtpdVersion = "1.4.3"

// aiosmtpdFindings are aiosmtpd 1.4.3's known bugs, all strict: it takes
// MAIL FROM without angle brackets (aiosmtpd #563) or without the closing
// one, RCPT TO:Postmaster without them (#564), and answers HELP 250
// (RFC 5321 4.1.1.8 wants 211 or 214).
var aiosmtpdFindings = []string{"smtp.mail-unclosed", "smtp.mail-brackets", "smtp.postmaster-brackets", "smtp.help"}

func TestAiosmtpd(t *testing.T) {
	addr := startAiosmtpd(t)
	report, err := check.Run(context.Background(), check.Options{Proto: "smtp", Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	requireAllPass(t, report, aiosmtpdFindings...)
	if !report.OK() {
		t.Errorf("aiosmtpd's strict findings failed the check; they are warnings without --strict")
	}
	report, err = check.Run(context.Background(), check.Options{Proto: "smtp", Addr: addr, Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if report.OK() {
		t.Errorf("with --strict, aiosmtpd's known bugs pass: %s", outcomes(report))
	}
}
