package main

import (
	"bufio"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"maillab/sandbox"
	"maillab/sandbox/play"
	"maillab/trace"
	"maillab/trace/i18n"
)

// playOptions are the inputs of maillab play.
type playOptions struct {
	*globalOptions
	From, To, Subject, Body string
	Format                  string
	Step                    bool
	Delay                   time.Duration
	TLS                     string
}

func newCmdPlay(g *globalOptions, runF func(*playOptions) error) *cobra.Command {
	opts := &playOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "play",
		Short: "Watch one message travel in six steps, every line explained",
		Long: `play starts its own sandbox on free loopback ports, sends one message from a
sohu.com user to a sina.com user and fetches it back over POP3. Every line that
crosses a socket is shown, grouped under the six steps and explained:

  ① the sender's client hands the message to its provider (SMTP)
  ② that provider relays it to the recipient's provider (SMTP)
  ③ the recipient's provider stores it in the mailbox
  ④ the recipient's client logs in to the POP3 server
  ⑤ the POP3 server reads the message out of the mailbox
  ⑥ the POP3 server hands it over, and the client says goodbye

Any sandbox address works; an address that does not exist shows how the
servers refuse it or bounce it.`,
		Example: `  maillab play
  maillab play --step                      # press Enter before each step (for class)
  maillab play --delay 400ms               # one line at a time, for a projector
  maillab play --to aaa@sohu.com           # stays inside sohu.com: no relay
  maillab play --to nobody@sina.com        # watch a bounce
  maillab play --tls starttls               # every hop encrypted, the plaintext shown
  maillab play --subject "邮件测试" --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return playRun(cmd, opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.From, "from", "gacl@sohu.com", "sender: a sandbox account (gacl@sohu.com, aaa@sohu.com, bbb@sina.com, gacl@sina.com)")
	f.StringVar(&opts.To, "to", "bbb@sina.com", "recipient address")
	f.StringVar(&opts.Subject, "subject", "hello", "subject of the message")
	f.StringVar(&opts.Body, "body", "hello gacl", "body of the message")
	f.StringVar(&opts.Format, "format", "text", "output: text, json (one event per line) or markdown (a handout)")
	f.BoolVar(&opts.Step, "step", false, "wait for Enter before each step")
	f.DurationVar(&opts.Delay, "delay", 0, "pause before each line, e.g. 400ms")
	f.StringVar(&opts.TLS, "tls", "", "encrypt: starttls (STARTTLS and STLS on the usual ports, every hop) or implicit (SMTPS and POP3S for the mail programs; between the providers, the relay uses STARTTLS, as servers do)")
	complete(cmd, "tls", "starttls", "implicit")
	complete(cmd, "format", formats()...)
	return cmd
}

func playRun(cmd *cobra.Command, opts *playOptions) error {
	useColor, err := opts.useColor()
	if err != nil {
		return err
	}
	r, err := trace.NewRenderer(opts.IO.Out, opts.Format, trace.RenderOptions{Color: useColor && opts.Format == "text", Width: opts.width(), Lang: opts.P})
	if err != nil {
		return i18n.Errorf("--format: %w", err)
	}
	if opts.Delay < 0 {
		return i18n.Errorf("--delay %s: must not be negative", opts.Delay)
	}
	playOpts := play.Options{From: opts.From, To: opts.To, Subject: opts.Subject, Body: opts.Body, TLS: opts.TLS}
	if err := play.Check(playOpts, sandbox.DefaultWorld()); err != nil {
		return err
	}
	// The journey takes milliseconds: record its events, then draw the
	// path it really took, then show them at the pace asked for.
	var events []trace.Event
	playOpts.Sink = func(e trace.Event) { events = append(events, e) }
	res, err := play.Run(cmd.Context(), playOpts)
	if err != nil {
		return err
	}
	opts.header(playOpts, res)
	pacing := trace.Pacing{Context: cmd.Context(), Delay: opts.Delay, Prompt: opts.IO.ErrOut, Lang: opts.P}
	if opts.Step {
		in := bufio.NewReader(opts.IO.In)
		pacing.Enter = func() error { _, err := in.ReadString('\n'); return err }
	}
	show := trace.Paced(r, pacing)
	for _, e := range events {
		show(e)
	}
	r.Close()
	if err := cmd.Context().Err(); err != nil {
		return err
	}
	summaryOut := opts.IO.Out
	if opts.Format == "json" {
		summaryOut = opts.IO.ErrOut
	}
	fmt.Fprintln(summaryOut, "\n"+trace.Wrap(strings.TrimPrefix(summary(opts, res), "\n"), opts.width(), 0, 2))
	return nil
}

// header is what comes before the transcript: the diagram of the path the
// message took; for a Markdown handout, a title too.
func (opts *playOptions) header(playOpts play.Options, res *play.Result) {
	out := opts.IO.Out
	switch opts.Format {
	case "text":
		fmt.Fprint(out, play.DiagramIn(opts.P, playOpts, res))
	case "markdown":
		fmt.Fprintf(out, "# %s\n\n````text%s````\n", opts.P.Trf("How an e-mail travels: %s to %s", opts.From, opts.To), play.DiagramIn(opts.P, playOpts, res))
	}
}

// summary is the last line: what happened, in numbers.
func summary(opts *playOptions, res *play.Result) string {
	p := opts.P
	took := res.Elapsed.Round(time.Millisecond)
	switch {
	case res.Refused != "":
		return "\n" + p.Trf("refused at step ①: %s (after %s)", trace.Visible(res.Refused), took)
	case res.Bounced:
		return "\n" + p.Trf("bounced: %s could not be delivered; %s fetched the report (%s) in %s", opts.To, opts.From, p.Count(res.Octets, "octet"), took)
	}
	return "\n" + p.Trf("delivered: %s → %s, %s (Received: headers), %s retrieved, in %s", opts.From, opts.To, p.Count(res.Hops, "hop"), p.Count(res.Octets, "octet"), took)
}
