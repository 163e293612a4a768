package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"maillab/trace/i18n"
)

// localize writes the command tree's help in p's language: every
// command's Short, Long and Example, every flag's usage, the completions'
// descriptions, cobra's own help, completion and version texts, and the
// usage template. The English texts are the catalogue's keys.
func localize(root *cobra.Command, p *i18n.Printer) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	root.InitDefaultVersionFlag()
	walk(root, func(c *cobra.Command) {
		c.InitDefaultHelpFlag()
		if f := c.Flags().Lookup("help"); f != nil {
			f.Usage = p.Trf("help for %s", c.Name())
		}
	})
	if f := root.Flags().Lookup("version"); f != nil {
		f.Usage = p.Trf("version for %s", root.Name())
	}
	if !p.Translates() {
		return
	}
	walk(root, func(c *cobra.Command) {
		c.Short, c.Long, c.Example = p.Tr(c.Short), p.Tr(c.Long), p.Tr(c.Example)
		for i, a := range c.ValidArgs {
			c.ValidArgs[i] = translateCompletion(p, a)
		}
		translateFlags(c.LocalFlags(), p)
		translateFlags(c.PersistentFlags(), p)
	})
}

// walk calls fn on c and every command below it.
func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}

// helpTexts lists the English help of the tree (before localize): what
// the catalogue must translate.
func helpTexts(root *cobra.Command) []string {
	var out []string
	walk(root, func(c *cobra.Command) {
		out = append(out, c.Short, c.Long, c.Example)
		for _, a := range c.ValidArgs {
			if _, desc, ok := strings.Cut(a, "\t"); ok {
				out = append(out, desc)
			}
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) { out = append(out, f.Usage) })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { out = append(out, f.Usage) })
	})
	var texts []string
	for _, t := range out {
		if t != "" && !strings.HasPrefix(t, "help for ") && !strings.HasPrefix(t, "version for ") {
			texts = append(texts, t)
		}
	}
	return texts
}

func translateFlags(fs *pflag.FlagSet, p *i18n.Printer) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" && f.Name != "version" {
			f.Usage = p.Tr(f.Usage)
		}
	})
}

// translateCompletion translates the description of "value\tdescription".
func translateCompletion(p *i18n.Printer, a string) string {
	value, desc, ok := strings.Cut(a, "\t")
	if !ok {
		return a
	}
	return value + "\t" + p.Tr(desc)
}
