package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"maillab/sandbox/check"
	"maillab/trace"
	"maillab/trace/i18n"
)

// checkOptions are the inputs of maillab check.
type checkOptions struct {
	*globalOptions
	Proto, Addr      string
	User, Password   string
	TLS              string
	Domain           string
	Fill, FillTo     string
	Format           string
	Strict, Progress bool
	Only             []string
	Timeout          time.Duration
	List             bool
}

func newCmdCheck(g *globalOptions, runF func(*checkOptions) error) *cobra.Command {
	opts := &checkOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "check smtp|pop3 HOST:PORT",
		Short: "Grade an SMTP or POP3 server you wrote, case by case against the RFCs",
		Long: `check talks to a mail server as a careful client does and grades it: one case
per behaviour the RFCs ask for (--list shows them), each on a connection of its
own. For each it says pass, fail, warn or skip, the RFC section, what was
expected and what came, and for a failure the exchange itself, every line
explained.

Required cases are what clients and mail need (the reply format, 503 for a
command out of order, RSET clearing a transaction, the message's end found
whatever its lines say, deletions only at QUIT...). Strict cases are the RFC's
letter that real servers relax by default (MAIL before EHLO, an address without
angle brackets): they warn, and fail only with --strict. Where the RFC allows
several answers, each passes. The exit status is 0 only when nothing failed.

Cases that log in need --user and --password. POP3 cases that read or delete
mail need messages: --fill sends two (through an SMTP server you name) to the
user's address, and only those are ever deleted. A case the server cannot run
(an extension it does not offer, no login) is skipped and says what it needs.`,
		Example: `  maillab check smtp 127.0.0.1:2525
  maillab check smtp 127.0.0.1:2525 --user gacl --password 123456 --strict
  maillab check pop3 127.0.0.1:1110 --user bbb --password 123456 --domain sina.com --fill 127.0.0.1:2526
  maillab check pop3 127.0.0.1:9950 --tls implicit --user bbb --password 123456
  maillab check smtp 127.0.0.1:2525 --only smtp.rset,smtp.data --format json
  maillab check smtp --list`,
		Args: func(cmd *cobra.Command, args []string) error {
			if opts.List {
				return cobra.RangeArgs(0, 1)(cmd, args)
			}
			return cobra.ExactArgs(2)(cmd, args)
		},
		ValidArgs: []cobra.Completion{"smtp", "pop3"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Proto = "smtp"
			if len(args) > 0 {
				opts.Proto = strings.ToLower(args[0])
			}
			if len(args) > 1 {
				opts.Addr = args[1]
			}
			if runF != nil {
				return runF(opts)
			}
			return checkRun(cmd, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.User, "user", "", "the account the login cases use")
	f.StringVar(&opts.Password, "password", "", "its password")
	f.StringVar(&opts.TLS, "tls", "", "starttls (STARTTLS or STLS first, on every connection) or implicit (TLS from the first byte); the certificate is not verified")
	f.StringVar(&opts.Domain, "domain", "", "the server's own domain, for local addresses (default: taken from its greeting)")
	f.StringVar(&opts.Fill, "fill", "", "POP3: send the mailbox two test messages first, through this SMTP server (HOST:PORT)")
	f.StringVar(&opts.FillTo, "fill-to", "", "the address --fill sends to (default: USER@DOMAIN)")
	f.StringVar(&opts.Format, "format", "text", "output: text (for people), json or csv")
	f.BoolVar(&opts.Strict, "strict", false, "strict cases fail instead of warning")
	f.StringSliceVar(&opts.Only, "only", nil, "run only these cases (ids as --list shows them, comma-separated)")
	f.DurationVar(&opts.Timeout, "timeout", 10*time.Second, "how long to wait for each answer")
	f.BoolVar(&opts.List, "list", false, "list the cases, with their level and RFC section, and check nothing")
	complete(cmd, "tls", "starttls", "implicit")
	complete(cmd, "format", "text", "json", "csv")
	return cmd
}

func checkRun(cmd *cobra.Command, opts *checkOptions) error {
	if opts.Proto != "smtp" && opts.Proto != "pop3" {
		return i18n.Errorf("check %q: choose smtp or pop3", opts.Proto)
	}
	if opts.List {
		return listCases(opts)
	}
	if err := opts.validate(); err != nil {
		return err
	}
	useColor, err := opts.useColor()
	if err != nil {
		return err
	}
	runOpts := check.Options{Proto: opts.Proto, Addr: opts.Addr, User: opts.User, Password: opts.Password,
		TLS: opts.TLS, Domain: opts.Domain, Strict: opts.Strict, Timeout: opts.Timeout, Only: opts.Only,
		Fill: opts.Fill, FillTo: opts.FillTo}
	if opts.IO.OutIsTerminal() && opts.Format == "text" {
		runOpts.Progress = opts.progress
	}
	report, err := check.Run(cmd.Context(), runOpts)
	opts.endProgress(runOpts.Progress != nil)
	if err != nil {
		return err
	}
	writeOpts := check.WriteOptions{Format: opts.Format, Lang: opts.P, Color: useColor && opts.Format == "text", Width: opts.width()}
	if err := report.Write(opts.IO.Out, writeOpts); err != nil {
		return err
	}
	if !report.OK() {
		return &exitError{code: 1}
	}
	return nil
}

// validate refuses flags that cannot work together, before any connection.
func (opts *checkOptions) validate() error {
	switch opts.TLS {
	case "", "starttls", "implicit":
	default:
		return i18n.Errorf("--tls %q: choose starttls or implicit", opts.TLS)
	}
	switch opts.Format {
	case "text", "json", "csv":
	default:
		return i18n.Errorf("--format %q: choose text, json or csv", opts.Format)
	}
	if opts.Timeout <= 0 {
		return i18n.Errorf("--timeout %s: must be more than zero", opts.Timeout)
	}
	if (opts.User == "") != (opts.Password == "") {
		return i18n.Errorf("--user and --password go together")
	}
	if opts.Fill != "" && opts.Proto != "pop3" {
		return i18n.Errorf("--fill fills a POP3 mailbox: it goes with check pop3")
	}
	for i, id := range opts.Only {
		if !strings.Contains(id, ".") {
			opts.Only[i] = opts.Proto + "." + id
		}
	}
	if unknown := check.UnknownCases(opts.Proto, opts.Only); len(unknown) > 0 {
		return i18n.Errorf("--only: no such %s case: %s (maillab check %s --list shows them)", opts.Proto, strings.Join(unknown, ", "), opts.Proto)
	}
	return nil
}

// progress shows which case has just run, on one line that it rewrites.
func (opts *checkOptions) progress(res check.Result, done, total int) {
	fmt.Fprintf(opts.IO.ErrOut, "\r\033[K%s", opts.P.Trf("checking: %d of %d (%s)", done, total, res.Case.ID))
}

// endProgress clears the progress line.
func (opts *checkOptions) endProgress(shown bool) {
	if shown {
		fmt.Fprint(opts.IO.ErrOut, "\r\033[K")
	}
}

// listCases prints every case of the protocol: id, level and RFC on a
// line, what it checks under it.
func listCases(opts *checkOptions) error {
	p := opts.P
	cases := check.Cases(opts.Proto)
	t := newTable(opts.IO.Out)
	for _, c := range cases {
		fmt.Fprintf(t, "%s\t%s\t%s\n", c.ID, c.Level.In(p), c.RFC)
		fmt.Fprintf(t, "    %s\n", trace.Wrap(p.Tr(c.What), opts.width(), 4, 4))
	}
	if err := t.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.Out, "\n"+p.Trf("%d cases; strict ones warn, and fail only with --strict.", len(cases)))
	return nil
}
