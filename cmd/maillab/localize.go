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
	cobra.AddTemplateFunc("localDefaults", func(usages string) string {
		return strings.ReplaceAll(usages, " (default ", " "+p.Tr("(default ")) // pflag's words
	})
	cobra.AddTemplateFunc("localUse", func(use string) string {
		return strings.ReplaceAll(use, "[flags]", p.Tr("[flags]")) // cobra's words
	})
	walk(root, func(c *cobra.Command) {
		c.Short, c.Long, c.Example = p.Tr(c.Short), p.Tr(c.Long), p.Tr(c.Example)
		for i, a := range c.ValidArgs {
			c.ValidArgs[i] = translateCompletion(p, a)
		}
		translateFlags(c.LocalFlags(), p)
		translateFlags(c.PersistentFlags(), p)
		c.SetUsageTemplate(usageTemplate(p))
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

// usageTemplate is cobra's usage template with its headings translated.
func usageTemplate(p *i18n.Printer) string {
	return p.Tr("Usage:") + `{{if .Runnable}}
  {{.UseLine | localUse}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} ` + p.Tr("[command]") + `{{end}}{{if gt (len .Aliases) 0}}

` + p.Tr("Aliases:") + `
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

` + p.Tr("Examples:") + `
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

` + p.Tr("Available Commands:") + `{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

` + p.Tr("Flags:") + `
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces | localDefaults}}{{end}}{{if .HasAvailableInheritedFlags}}

` + p.Tr("Global Flags:") + `
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces | localDefaults}}{{end}}{{if .HasHelpSubCommands}}

` + p.Tr("Additional help topics:") + `{{range .Commands}}{{if .IsAdditionalHelpTopicCommand}}
  {{rpad .CommandPath .CommandPathPadding}} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableSubCommands}}

` + p.Trf("Use \"%s\" for more information about a command.", "{{.CommandPath}} "+p.Tr("[command]")+" --help") + `{{end}}
`
}
