package main

import (
	"bufio"
	"bytes"
	"io"
	"os"

	"github.com/spf13/cobra"

	"maillab/trace"
	"maillab/trace/decode"
	"maillab/trace/i18n"
)

// decodeOptions are the inputs of maillab decode.
type decodeOptions struct {
	*globalOptions
	Input   string // TEXT, or "-" for standard input
	File    string
	Charset string
	Save    string
	Quiet   bool
}

func newCmdDecode(g *globalOptions, runF func(*decodeOptions) error) *cobra.Command {
	opts := &decodeOptions{globalOptions: g}
	cmd := &cobra.Command{
		Use:   "decode TEXT | - | --file FILE",
		Short: "Read Base64, encoded-words, quoted-printable and whole MIME messages",
		Long: `decode works out what you captured and turns it back into text, showing each
layer on the way: an RFC 2047 encoded-word (=?GBK?B?...?=) or a header line
with them, Base64 (padding optional, line breaks ignored), an AUTH PLAIN blob,
quoted-printable, or a whole message (headers decoded, every MIME part shown).

Charsets come from the label; --charset overrides it. Bytes that are not UTF-8
and have no label are read in the most plausible charset (GBK, Big5,
Shift_JIS or windows-1252), and the other readings are shown too.`,
		Example: `  maillab decode '=?GBK?B?08q8/rLiytQ=?='
  maillab decode --charset gbk vPK1pbXE08q8/reiy82y4srUo6E=
  maillab decode Z2FjbA==
  maillab decode --file message.eml --save attachments/
  pbpaste | maillab decode -`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Input = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return decodeRun(opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.File, "file", "", "read the input from FILE (a captured payload or a whole .eml message)")
	f.StringVar(&opts.Charset, "charset", "", "read the bytes in this charset, whatever the label says (e.g. gbk, big5, iso-8859-1)")
	f.StringVar(&opts.Save, "save", "", "write a message's attachments into DIR (never outside it)")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "print only the decoded text, not the layers")
	complete(cmd, "charset", charsets...)
	return cmd
}

func decodeRun(opts *decodeOptions) error {
	in, err := opts.open()
	if err != nil {
		return err
	}
	defer in.Close()
	br := bufio.NewReaderSize(in, 64<<10)
	head, _ := br.Peek(64 << 10)
	var res *decode.Result
	switch {
	case decode.LooksLikeMessage(string(head)):
		// a whole message is read as a stream: any size, attachments straight to --save
		res, err = decode.ParseMessage(br, decode.MessageOptions{Charset: opts.Charset, SaveDir: opts.Save})
	case opts.Save != "":
		return i18n.Errorf("--save: the input is not a message, so it has no attachments")
	case len(head) == 64<<10 && isBase64Chunk(head):
		return streamDecode(opts, br)
	default:
		res, err = decodeSmall(br, opts.Charset)
	}
	if err != nil {
		return err
	}
	report(opts, res)
	if len(res.Undecoded) > 0 {
		return i18n.Errorf("could not decode %v", res.Undecoded[0])
	}
	return nil
}

// decodeSmall decodes an input that is not a message and not a large
// Base64 stream: a word, a header, a payload.
func decodeSmall(r io.Reader, charset string) (*decode.Result, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSmallInput+1))
	if err != nil {
		return nil, i18n.Errorf("reading the input: %w", err)
	}
	if len(data) > maxSmallInput {
		return nil, i18n.Errorf("the input is over %d MiB and neither a message nor plain Base64", maxSmallInput>>20)
	}
	return decode.Auto(string(data), charset)
}

// maxSmallInput bounds inputs decoded in memory.
const maxSmallInput = 16 << 20

// report writes the decoded text, the layers, the warnings and what was
// saved. What a message says reaches the terminal escaped (trace.Visible):
// a control sequence in a captured payload is shown, never obeyed.
func report(opts *decodeOptions, res *decode.Result) {
	out := opts.output()
	defer out.Close()
	res.WriteTextIn(out, opts.P)
	if !opts.Quiet {
		trace.WriteLayers(out, opts.P, res, opts.width())
	}
	for _, w := range res.Warnings {
		opts.note(opts.P.Trf("warning: %s", trace.Visible(w.In(opts.P))))
	}
	if res.Message != nil {
		for _, s := range res.Message.SavedFiles() {
			opts.note(opts.P.Trf("saved %s", trace.Visible(s)))
		}
	}
}

// output is where decoded text goes: escaped, except the bare text of -q
// written to a file or a pipe, which stays exact for scripts.
func (opts *decodeOptions) output() io.WriteCloser {
	if opts.Quiet && !opts.IO.OutIsTerminal() {
		return nopCloser{opts.IO.Out}
	}
	return trace.NewEscaper(opts.IO.Out)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// open returns the input: the argument, standard input or --file.
func (opts *decodeOptions) open() (io.ReadCloser, error) {
	switch {
	case opts.File != "" && opts.Input != "":
		return nil, i18n.Errorf("give TEXT or --file, not both")
	case opts.File != "":
		f, err := os.Open(opts.File)
		if err != nil {
			return nil, i18n.Errorf("--file: %w", err)
		}
		return f, nil
	case opts.Input == "-":
		return io.NopCloser(opts.IO.In), nil
	case opts.Input != "":
		return io.NopCloser(bytes.NewReader([]byte(opts.Input))), nil
	}
	return nil, i18n.Errorf("nothing to decode: give TEXT, - (standard input) or --file FILE")
}

// isBase64Chunk reports whether b holds only Base64 and line breaks.
func isBase64Chunk(b []byte) bool {
	for _, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' || c == '\r' || c == '\n') {
			return false
		}
	}
	return true
}

// streamDecode decodes a large Base64 input in constant memory.
func streamDecode(opts *decodeOptions, r io.Reader) error {
	charset := opts.Charset
	if charset == "" {
		charset = "UTF-8"
		opts.note(opts.P.Tr("large Base64 input read as UTF-8 text (give --charset for another)"))
	}
	out := opts.output()
	w := bufio.NewWriterSize(out, 64<<10)
	n, err := decode.StreamBase64(w, r, charset)
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if !opts.Quiet {
		opts.note(opts.P.Trf("decoded Base64 %s as a stream: %s of UTF-8 written", charset, opts.P.Count(int(n), "octet")))
	}
	return nil
}
