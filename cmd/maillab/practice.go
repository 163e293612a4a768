package main

import (
	"strings"

	"github.com/spf13/cobra"

	"maillab/lessons/practice"
	"maillab/trace/i18n"
)

// practiceOptions are the inputs of maillab practice.
type practiceOptions struct {
	*globalOptions
	Proto      string
	Domain     string
	PortOffset int
	Addr       string
	Server     string
	User       string
	Password   string
	TLS        bool
	CACert     string
}

func newCmdPractice(g *globalOptions, runF func(*practiceOptions) error) *cobra.Command {
	opts := &practiceOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "practice smtp|pop3",
		Short: "Type raw SMTP or POP3 commands; every answer is explained",
		Long: `practice connects to the sandbox's SMTP or POP3 server and lets you type the
protocol yourself, as with telnet, but every answer comes with its meaning, a
mistake comes with what to do instead, and the prompt shows where you are.

It uses a running 'maillab sandbox' when one answers, and starts its own
otherwise. Type STARTTLS (SMTP) or STLS (POP3) to encrypt the connection, or
start on the SMTPS/POP3S port with --tls; certificates are checked against
your system's CAs and the sandbox's (--cacert adds one, e.g. a class's).

Lines starting with ':' are helpers and never sent: :help, :hint, :state,
:b64 TEXT, :unb64 BASE64, :decode TEXT, :quit (or Ctrl-D).

When input is not a terminal, the lines are read and run in order (script
mode), with the same transcript.`,
		Example: `  maillab practice smtp
  maillab practice pop3 --domain sina.com
  maillab practice smtp --addr 127.0.0.1:2526
  maillab practice smtp --server 192.168.1.10 --user s07 --password 404242
  maillab practice pop3 --tls
  maillab practice smtp --addr smtp.gmail.com:465 --tls
  printf 'EHLO me\nQUIT\n' | maillab practice smtp`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return i18n.Errorf("choose what to practise: maillab practice smtp (send mail) or maillab practice pop3 (fetch it)")
			}
			return nil
		},
		ValidArgs: []cobra.Completion{"smtp\tsend mail: EHLO, AUTH, MAIL, RCPT, DATA", "pop3\tfetch mail: USER, PASS, STAT, LIST, RETR"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Proto = strings.ToLower(args[0])
			if runF != nil {
				return runF(opts)
			}
			return practiceRun(cmd, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Domain, "domain", "", "the provider: sohu.com (default for smtp) or sina.com (default for pop3)")
	complete(cmd, "domain", domains()...)
	f.IntVar(&opts.PortOffset, "port-offset", 0, "the sandbox's --port-offset")
	f.StringVar(&opts.Addr, "addr", "", "talk to any server at HOST:PORT instead")
	f.StringVar(&opts.Server, "server", "", "the class sandbox's host (the teacher's machine); ports as its startup table")
	f.StringVar(&opts.User, "user", "", "your account in the class (e.g. s07): hints use it")
	f.StringVar(&opts.Password, "password", "", "its password")
	f.BoolVar(&opts.TLS, "tls", false, "TLS from the first byte: the SMTPS or POP3S port (with --addr: its port must speak TLS)")
	f.StringVar(&opts.CACert, "cacert", "", "also trust the CA in this PEM file (the sandbox prints where its ca.pem is)")
	return cmd
}

func practiceRun(cmd *cobra.Command, opts *practiceOptions) error {
	if opts.Proto != "smtp" && opts.Proto != "pop3" {
		return i18n.Errorf("practice %s: choose smtp or pop3", opts.Proto)
	}
	useColor, err := opts.useColor()
	if err != nil {
		return err
	}
	return practice.Run(cmd.Context(), practice.Options{
		Proto: opts.Proto, Domain: opts.Domain, PortOffset: opts.PortOffset, Addr: opts.Addr,
		Server: opts.Server, Account: practice.Account{User: opts.User, Password: opts.Password},
		TLS: opts.TLS, CACert: opts.CACert, ClassPage: classPage(opts.Server, opts.PortOffset),
		In: opts.IO.In, Out: opts.IO.Out, ErrOut: opts.IO.ErrOut,
		Interactive: opts.IO.InIsTerminal(), Color: useColor, Width: opts.width(), Lang: opts.P,
	})
}
