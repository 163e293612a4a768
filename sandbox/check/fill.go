package check

import (
	"context"
	"fmt"
	"net"
	"net/smtp"
	"strings"
	"time"

	"maillab/trace/i18n"
)

// fillSender is the envelope sender of the messages --fill sends.
const fillSender = "maillab-check@example.org"

// fillMessages are what --fill sends the mailbox: a short one, and one
// whose lines start with dots, one a lone dot, for the byte-stuffing of
// RETR (RFC 1939 3). %s is the run's token, for finding them again.
var fillMessages = []string{
	"Subject: maillab check, message 1\r\nMessage-ID: <%s.1@maillab.check>\r\n\r\nThe first message maillab check sent.\r\nA second line.\r\n",
	"Subject: maillab check, message 2\r\nMessage-ID: <%s.2@maillab.check>\r\n\r\nA line of one dot follows.\r\n.\r\n.a line that starts with a dot\r\n..and one with two\r\nThe last line.\r\n",
}

// fill sends fillMessages through the SMTP server at opts.Fill to the
// POP3 user's address.
func fill(ctx context.Context, opts Options) error {
	to := opts.FillTo
	if to == "" {
		to = opts.User
		if !strings.Contains(to, "@") {
			if opts.Domain == "" {
				return i18n.Errorf("--fill needs the user's address: give --domain (or --fill-to)")
			}
			to += "@" + opts.Domain
		}
	}
	d := net.Dialer{Timeout: opts.Timeout}
	conn, err := d.DialContext(ctx, "tcp", opts.Fill)
	if err != nil {
		return i18n.Errorf("--fill: connect to %s: %w", opts.Fill, err)
	}
	conn.SetDeadline(time.Now().Add(4 * opts.Timeout))
	host, _, _ := net.SplitHostPort(opts.Fill)
	client, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return i18n.Errorf("--fill: the greeting of %s: %w", opts.Fill, err)
	}
	defer client.Close()
	for _, msg := range fillMessages {
		if err := sendOne(client, to, fmt.Sprintf(msg, opts.token)); err != nil {
			return i18n.Errorf("--fill: send to %s through %s: %w", to, opts.Fill, err)
		}
	}
	return client.Quit()
}

// sendOne sends one message; the client stuffs its dots.
func sendOne(client *smtp.Client, to, msg string) error {
	if err := client.Mail(fillSender); err != nil {
		return err
	}
	if err := client.Rcpt(to); err != nil {
		return err
	}
	w, err := client.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		return err
	}
	return w.Close()
}
