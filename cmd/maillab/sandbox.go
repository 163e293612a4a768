package main

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"maillab/sandbox"
	"maillab/trace"
	"maillab/trace/i18n"
)

// sandboxOptions are the inputs of maillab sandbox.
type sandboxOptions struct {
	*globalOptions
	Listen         string
	PortOffset     int
	Only           string
	RetryInterval  time.Duration
	MaxQueueAge    time.Duration
	MaxMessageSize int64
	MaxConns       int
	PerAddress     int
	Quota          int64
	Maildir        string
	Quiet          bool
	Wiretap        string
	AllowSpoofing  bool
	Students       int
	Accounts       string
	Roster         string
	Web            string
	Token          string
	TLS            string
	RequireTLS     bool

	started    func() // called once the servers listen (tests wait on it)
	postmaster string // the postmaster's password in a class
}

func newCmdSandbox(g *globalOptions, runF func(*sandboxOptions) error) *cobra.Command {
	opts := &sandboxOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run the mail providers and show every line of every session",
		Long: `sandbox runs sohu.com and sina.com, each with an SMTP server (send and
receive) and a POP3 server (fetch), and prints a live wiretap of every session,
your own telnet and nc sessions included. Accounts: gacl and aaa at sohu.com,
bbb and gacl at sina.com; every password is 123456.

It listens on 127.0.0.1 only, unless --listen says otherwise, and never
relays mail outside its own two domains. Ctrl-C stops it.

For a class: --students N makes accounts s01..sNN in both domains, each with
its own password (--accounts FILE loads your own: account,domain,password),
and the projector page at http://127.0.0.1:8025/ shows each message's
journey stage by stage and the class at a glance, a tile per student. The
teacher's view (/teacher.html) needs the token printed at start; it grades
the lessons' exercises from what the servers saw. In a class the terminal
prints a line per message and per error (--wiretap full: every line). With
--maildir, the class is kept there: a restart keeps the passwords, the
token, the tiles and the grades.`,
		Example: `  maillab sandbox
  maillab sandbox --port-offset 1000          # SMTP on 3525/3526, POP3 on 2110/2111
  maillab sandbox --only sina.com             # one provider per process
  maillab sandbox --maildir ~/maillab-mail    # mailboxes survive a restart
  maillab sandbox --students 30 --roster class.csv --maildir ~/class

  # then, in another terminal:
  telnet 127.0.0.1 2525`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return sandboxRun(cmd, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Listen, "listen", "127.0.0.1", "address to listen on (anything but loopback exposes the sandbox to your network)")
	f.IntVar(&opts.PortOffset, "port-offset", 0, "add N to every port (when the default ports are taken)")
	f.StringVar(&opts.Only, "only", "", "run only this provider (sohu.com or sina.com)")
	f.DurationVar(&opts.RetryInterval, "retry-interval", 10*time.Second, "how often to retry a relay that failed for now")
	f.DurationVar(&opts.MaxQueueAge, "max-queue-age", time.Hour, "give up relaying (and bounce) after this long")
	f.Int64Var(&opts.MaxMessageSize, "max-message-size", 10<<20, "largest message accepted, in octets (announced in EHLO SIZE)")
	f.IntVar(&opts.MaxConns, "max-conns", 200, "most sessions per server at once")
	f.IntVar(&opts.PerAddress, "max-per-address", 30, "most sessions from one address before they log in, across servers (0: no limit, for a class that shares one machine)")
	f.Int64Var(&opts.Quota, "quota", 100*1000*1000, "octets a mailbox may hold; more is refused with 552 5.2.2 mailbox full (0: no limit)")
	f.StringVar(&opts.Maildir, "maildir", "", "keep mailboxes (DIR/<domain>/<user>/{tmp,new,cur}) and relay queues on disk in DIR, so a restart loses nothing")
	f.BoolVar(&opts.Quiet, "quiet", false, "print the table of servers but no wiretap")
	f.StringVar(&opts.Wiretap, "wiretap", "auto", "full: every line of every session; summary: a line per message and per error (the page has the rest); auto: summary in a class, full otherwise")
	complete(cmd, "only", domains()...)
	complete(cmd, "wiretap", "auto", "full", "summary")
	f.IntVar(&opts.Students, "students", 0, "make accounts s01..sNN in every domain, each with a random six-digit password")
	f.StringVar(&opts.Accounts, "accounts", "", "load the class's accounts from FILE (CSV: account,domain,password)")
	f.StringVar(&opts.Roster, "roster", "", "write the class's accounts and passwords to FILE (CSV) instead of printing them")
	f.StringVar(&opts.Web, "web", "", "serve the projector page on ADDR (default: the --listen address, port 8025 + --port-offset); off: no page")
	f.StringVar(&opts.Token, "token", "", "the teacher's token (default: a new random one, printed at start)")
	f.StringVar(&opts.TLS, "tls", "on", "on: STARTTLS, STLS, and SMTPS/POP3S ports with the sandbox's own CA; off: plaintext only")
	f.BoolVar(&opts.RequireTLS, "require-tls", false, "refuse logins before TLS (530 5.7.0, -ERR [AUTH]), as real providers do")
	complete(cmd, "tls", "on", "off")
	f.BoolVar(&opts.AllowSpoofing, "allow-spoofing", false, "let a logged-in user send as any address (for a lesson on forged senders); by default MAIL FROM must be the login (553 5.7.1)")
	return cmd
}

func sandboxRun(cmd *cobra.Command, opts *sandboxOptions) error {
	useColor, err := opts.useColor()
	if err != nil {
		return err
	}
	if err := checkSandboxFlags(opts); err != nil {
		return err
	}
	world := sandbox.DefaultWorld()
	class, err := classAccounts(opts, world)
	if err != nil {
		return err
	}
	ca, err := openCA(opts)
	if err != nil {
		return err
	}
	if !isLoopback(opts.Listen) {
		warnExposed(opts) // before anything listens: the teacher can still stop it
	}
	sb, err := sandbox.Start(sandbox.Config{
		World: world, Host: opts.Listen, PortOffset: opts.PortOffset, Only: opts.Only,
		RetryInterval: opts.RetryInterval, MaxQueueAge: opts.MaxQueueAge,
		MaxMessageSize: opts.MaxMessageSize, MaxConns: opts.MaxConns, Maildir: opts.Maildir,
		MaxPerAddress: orUnlimited(opts.PerAddress), Quota: int64(orUnlimited(int(opts.Quota))),
		TapServers: !opts.Quiet || opts.Web != "off" && opts.Only == "", TapRelay: !opts.Quiet && opts.Only != "",
		AllowSpoofing: opts.AllowSpoofing, Certs: ca, RequireTLS: opts.RequireTLS,
	})
	if err != nil {
		return err
	}
	defer sb.Close()
	// The wiretap listens from the start, so no session is missed, and
	// writes once the tables above it are out.
	headerDone := make(chan struct{})
	var wiretap *trace.Queue
	if !opts.Quiet {
		wiretap = startWiretap(opts, sb, useColor, class != nil, headerDone)
	}
	page, room, err := startPage(opts, sb)
	if err != nil {
		close(headerDone)
		return err
	}
	printWorld(opts, sb)
	printTLS(opts, sb)
	printClass(opts, class, page)
	switch {
	case opts.Quiet:
	case opts.summary(class != nil):
		fmt.Fprintln(opts.IO.Out, opts.P.Tr("a line per message journey and per error is shown below (the page has every line; --wiretap full shows them here); Ctrl-C stops"))
	default:
		fmt.Fprintln(opts.IO.Out, opts.P.Tr("every line of every session is shown below; Ctrl-C stops"))
	}
	fmt.Fprintln(opts.IO.Out)
	close(headerDone)
	if opts.started != nil {
		opts.started()
	}

	<-cmd.Context().Done()
	fmt.Fprintf(opts.IO.ErrOut, "\nmaillab: %s\n", opts.P.Tr("stopping: ending sessions (at most 5 seconds)"))
	if page != nil {
		page.Close()
		if err := room.Close(); err != nil {
			opts.note(i18n.TranslateError(opts.P, err))
		}
	}
	sb.Close()
	if wiretap != nil && !wiretap.Close(time.Second) {
		opts.note(opts.P.Tr("the terminal is not reading the wiretap; stopping without it"))
	}
	for _, p := range sb.Running() {
		if n := sb.QueueLen(p.Domain); n > 0 {
			opts.note(opts.P.Trf("%s still queued at %s; %s", opts.P.Count(n, "message"), p.Domain, queueFate(opts.P, opts.Maildir)))
		}
	}
	return nil
}

// summary reports whether the terminal sums the sessions up: asked for,
// or by default in a class (the page shows every line).
func (opts *sandboxOptions) summary(inClass bool) bool {
	return opts.Wiretap == "summary" || (opts.Wiretap == "auto" || opts.Wiretap == "") && inClass
}

// startWiretap renders the sessions to the terminal (every line, or a
// summary), once ready is closed (the events that come before wait in
// the queue).
func startWiretap(opts *sandboxOptions, sb *sandbox.Sandbox, useColor, inClass bool, ready <-chan struct{}) *trace.Queue {
	out := bufio.NewWriterSize(opts.IO.Out, 64<<10)
	ropts := trace.RenderOptions{Color: useColor, Wiretap: true, Width: opts.width(), Verbose: opts.Verbose, Lang: opts.P}
	var r trace.Renderer = trace.NewSummary(out, ropts)
	if !opts.summary(inClass) {
		r, _ = trace.NewRenderer(out, "text", ropts)
	}
	show := trace.Paced(r, trace.Pacing{Lang: opts.P})
	return sb.Events.SubscribeQueued("the wiretap", wiretapQueue, func(e trace.Event) {
		<-ready
		show(e)
	}, func() { out.Flush() })
}

// wiretapQueue is how many events may wait for a slow terminal before the
// wiretap drops (and counts) them rather than slow a server.
const wiretapQueue = 8192

// queueFate says what happens to queued mail at a stop.
func queueFate(p *i18n.Printer, maildir string) string {
	if maildir == "" {
		return p.Tr("they are lost with this process (--maildir keeps them)")
	}
	return p.Trf("they wait in %s for the next start", maildir)
}

func checkSandboxFlags(opts *sandboxOptions) error {
	switch {
	case net.ParseIP(opts.Listen) == nil && opts.Listen != "localhost":
		return i18n.Errorf("--listen %q: give an IP address such as 127.0.0.1", opts.Listen)
	case opts.PortOffset < 0 || opts.PortOffset > 60000:
		return i18n.Errorf("--port-offset %d: must be between 0 and 60000", opts.PortOffset)
	case opts.MaxMessageSize < 1024:
		return i18n.Errorf("--max-message-size %d: must be at least 1024 octets", opts.MaxMessageSize)
	case opts.RetryInterval <= 0 || opts.MaxQueueAge <= 0:
		return i18n.Errorf("--retry-interval and --max-queue-age must be positive")
	case opts.MaxConns < 1:
		return i18n.Errorf("--max-conns %d: must be at least 1", opts.MaxConns)
	case opts.PerAddress < 0 || opts.Quota < 0:
		return i18n.Errorf("--max-per-address and --quota cannot be negative (0: no limit)")
	case opts.Wiretap != "" && opts.Wiretap != "auto" && opts.Wiretap != "full" && opts.Wiretap != "summary":
		return i18n.Errorf("--wiretap %q: choose auto, full or summary", opts.Wiretap)
	case opts.TLS != "on" && opts.TLS != "off":
		return i18n.Errorf("--tls %q: choose on or off", opts.TLS)
	case opts.RequireTLS && opts.TLS == "off":
		return i18n.Errorf("--require-tls needs --tls on")
	}
	return nil
}

// orUnlimited turns a flag's 0 (no limit) into the sandbox's -1.
func orUnlimited(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// demoAccounts lists the accounts whose password is the demo one: in a
// class, the postmaster is the teacher's and has its own.
func demoAccounts(opts *sandboxOptions, p *sandbox.Provider) []string {
	var out []string
	for _, u := range p.DemoUsers() {
		if u != sandbox.Postmaster || opts.postmaster == "" {
			out = append(out, u)
		}
	}
	return out
}

// printWorld prints the table of providers, servers and accounts.
func printWorld(opts *sandboxOptions, sb *sandbox.Sandbox) {
	out, p := opts.IO.Out, opts.P
	fmt.Fprintf(out, "maillab sandbox: %s\n\n", p.Trf("%s on %s", p.Count(len(sb.Running()), "mail provider"), opts.Listen))
	tw := newTable(out)
	fmt.Fprintln(tw, "  "+strings.Join([]string{p.Tr("domain"), p.Tr("service"), p.Tr("server"), p.Tr("address"), p.Trf("accounts (password %s)", sandbox.DefaultPassword)}, "\t"))
	var last *sandbox.Provider
	for _, l := range sb.Listening() {
		domain, accounts := "", ""
		if l.Provider != last {
			domain, accounts, last = l.Provider.Domain, p.Join(demoAccounts(opts, l.Provider)), l.Provider
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", domain, l.Service.Name(), l.Service.Host, l.Addr, accounts)
	}
	tw.Flush()
	fmt.Fprintf(out, "\n%s\n", limitsLine(opts))
	first := sb.Running()[0]
	smtpAddr, _ := sb.Addr(first.Domain, trace.SMTP)
	host, port, _ := net.SplitHostPort(smtpAddr)
	fmt.Fprintf(out, "\n%s\n", p.Trf("try: telnet %s %s   then EHLO me, AUTH LOGIN, Z2FjbA==, MTIzNDU2, MAIL FROM:<gacl@%s>, ...", host, port, first.Domain))
}

// limitsLine sums up the limits a class meets: message size, mailbox
// quota, sessions per address.
func limitsLine(opts *sandboxOptions) string {
	p := opts.P
	quota, perAddress := p.Tr("no quota"), p.Tr("no limit per address")
	if opts.Quota > 0 {
		quota = p.Trf("mailboxes hold %s", p.Size(opts.Quota))
	}
	if opts.PerAddress > 0 {
		perAddress = p.Trf("%d sessions per address before login", opts.PerAddress)
	}
	return p.Trf("limits: messages up to %s, %s, %s", p.Size(opts.MaxMessageSize), quota, perAddress)
}
