package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"maillab/trace/decode"
	"maillab/trace/i18n"
)

// encodeOptions are the inputs of maillab encode.
type encodeOptions struct {
	*globalOptions
	Args       []string
	AuthPlain  bool
	Word       bool
	Q          bool
	Charset    string
	charsetSet bool // --charset was given
}

func newCmdEncode(g *globalOptions, runF func(*encodeOptions) error) *cobra.Command {
	opts := &encodeOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "encode TEXT | --auth-plain USER PASS | --word --charset NAME TEXT",
		Short: "Make the Base64 that AUTH LOGIN and AUTH PLAIN expect, or an RFC 2047 word",
		Long: `encode turns text into what mail protocols carry: the Base64 that
answers AUTH LOGIN's 334 challenges (maillab encode gacl); with
--auth-plain USER PASS, the AUTH PLAIN answer, Base64 of NUL user NUL
password; with --word --charset NAME, an RFC 2047 encoded-word for a header
(B encoding, or Q with --q).`,
		Example: `  maillab encode gacl
  printf gacl | maillab encode -
  maillab encode 123456
  maillab encode --auth-plain gacl 123456
  maillab encode --word --charset GBK 邮件测试
  maillab encode --word --q --charset iso-8859-1 "café crème"`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Args = args
			opts.charsetSet = cmd.Flags().Changed("charset")
			if runF != nil {
				return runF(opts)
			}
			return encodeRun(opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.AuthPlain, "auth-plain", false, "encode USER and PASS as an AUTH PLAIN answer")
	f.BoolVar(&opts.Word, "word", false, "encode TEXT as an RFC 2047 encoded-word")
	f.BoolVar(&opts.Q, "q", false, "with --word: Q encoding instead of B (Base64)")
	f.StringVar(&opts.Charset, "charset", "UTF-8", "with --word: the charset to write TEXT in")
	complete(cmd, "charset", charsets...)
	return cmd
}

func encodeRun(opts *encodeOptions) error {
	out := opts.IO.Out
	if len(opts.Args) == 1 && opts.Args[0] == "-" {
		text, err := io.ReadAll(io.LimitReader(opts.IO.In, maxSmallInput))
		if err != nil {
			return i18n.Errorf("reading standard input: %w", err)
		}
		opts.Args[0] = strings.TrimSuffix(strings.TrimSuffix(string(text), "\n"), "\r") // the newline that ends a piped line is not part of it
	}
	switch {
	case opts.charsetSet && !opts.Word:
		return i18n.Errorf("--charset goes with --word (Base64 encodes the text's UTF-8 bytes; for an encoded-word in another charset add --word)")
	case opts.AuthPlain && opts.Word:
		return i18n.Errorf("choose --auth-plain or --word, not both")
	case opts.AuthPlain:
		if len(opts.Args) != 2 {
			return i18n.Errorf("--auth-plain needs USER and PASS, e.g. maillab encode --auth-plain gacl 123456")
		}
		fmt.Fprintln(out, decode.AuthPlain(opts.Args[0], opts.Args[1]))
	case len(opts.Args) != 1:
		return i18n.Errorf("give one TEXT to encode (quote it if it has spaces)")
	case opts.Word:
		w, err := decode.EncodeWords(opts.Args[0], opts.Charset, opts.Q)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, w)
	case opts.Q:
		return i18n.Errorf("--q goes with --word")
	default:
		fmt.Fprintln(out, decode.EncodeBase64(opts.Args[0]))
	}
	return nil
}
