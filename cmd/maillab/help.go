package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"maillab/trace"
	"maillab/trace/i18n"
)

// layoutHelp has every command write its help and usage laid out for the
// width (--width, or the terminal's): the description and the flags'
// explanations wrap, in Chinese too (pflag's own wrapping counts bytes and
// breaks only at spaces); the examples, meant to be copied, never do.
func layoutHelp(root *cobra.Command, g *globalOptions) {
	walk(root, func(c *cobra.Command) {
		c.SetUsageFunc(func(c *cobra.Command) error {
			_, err := fmt.Fprint(c.OutOrStderr(), usageText(c, g.P, g.width()))
			return err
		})
		c.SetHelpFunc(func(c *cobra.Command, _ []string) {
			fmt.Fprint(c.OutOrStdout(), helpText(c, g.P, g.width()))
		})
	})
}

// helpText is a command's description, then its usage.
func helpText(c *cobra.Command, p *i18n.Printer, width int) string {
	var b strings.Builder
	if about := strings.TrimRight(firstOf(c.Long, c.Short), " \n"); about != "" {
		b.WriteString(trace.WrapParagraphs(about, width) + "\n\n")
	}
	if c.Runnable() || c.HasSubCommands() {
		b.WriteString(usageText(c, p, width))
	}
	return b.String()
}

func firstOf(texts ...string) string {
	for _, t := range texts {
		if t != "" {
			return t
		}
	}
	return ""
}

// usageText is cobra's usage, its headings in p's language.
func usageText(c *cobra.Command, p *i18n.Printer, width int) string {
	var b strings.Builder
	b.WriteString(p.Tr("Usage:"))
	if c.Runnable() {
		b.WriteString("\n  " + strings.ReplaceAll(c.UseLine(), "[flags]", p.Tr("[flags]")))
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\n  " + c.CommandPath() + " " + p.Tr("[command]"))
	}
	if len(c.Aliases) > 0 {
		b.WriteString("\n\n" + p.Tr("Aliases:") + "\n  " + c.NameAndAliases())
	}
	if c.HasExample() {
		b.WriteString("\n\n" + p.Tr("Examples:") + "\n" + c.Example)
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\n\n" + p.Tr("Available Commands:"))
		commandList(&b, c.Commands(), func(s *cobra.Command) bool { return s.IsAvailableCommand() || s.Name() == "help" }, width)
	}
	if c.HasAvailableLocalFlags() {
		b.WriteString("\n\n" + p.Tr("Flags:") + "\n" + flagList(c.LocalFlags(), p, width))
	}
	if c.HasAvailableInheritedFlags() {
		b.WriteString("\n\n" + p.Tr("Global Flags:") + "\n" + flagList(c.InheritedFlags(), p, width))
	}
	if c.HasHelpSubCommands() {
		b.WriteString("\n\n" + p.Tr("Additional help topics:"))
		commandList(&b, c.Commands(), (*cobra.Command).IsAdditionalHelpTopicCommand, width)
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\n\n" + p.Trf("Use \"%s\" for more information about a command.", c.CommandPath()+" "+p.Tr("[command]")+" --help"))
	}
	return b.String() + "\n"
}

// commandList lists the subcommands that show, each with its short
// description, wrapped under itself.
func commandList(b *strings.Builder, commands []*cobra.Command, show func(*cobra.Command) bool, width int) {
	pad := 0
	for _, s := range commands {
		if show(s) {
			pad = max(pad, len(s.Name()))
		}
	}
	for _, s := range commands {
		if show(s) {
			col := 2 + pad + 1
			fmt.Fprintf(b, "\n  %-*s %s", pad, s.Name(), trace.Wrap(s.Short, width, col, col))
		}
	}
}

// flagList lists flags as pflag does ("  -v, --verbose   what it does"),
// the explanations wrapped to the width under their column (below the
// names, when the names leave them too little room).
func flagList(fs *pflag.FlagSet, p *i18n.Printer, width int) string {
	type row struct{ names, usage string }
	var rows []row
	col := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		names := "      --" + f.Name
		if f.Shorthand != "" {
			names = "  -" + f.Shorthand + ", --" + f.Name
		}
		varname, usage := pflag.UnquoteUsage(f)
		if varname != "" {
			names += " " + typeName(p, varname)
		}
		if d := defaultOf(f); d != "" {
			usage = p.Trf("%s (default %s)", usage, d)
		}
		rows = append(rows, row{names, usage})
		col = max(col, trace.DisplayWidth(names)+3)
	})
	var b strings.Builder
	narrow := width > 0 && col > width*2/5
	for _, r := range rows {
		if narrow {
			fmt.Fprintf(&b, "%s\n        %s\n", r.names, trace.Wrap(r.usage, width, 8, 8))
			continue
		}
		fmt.Fprintf(&b, "%s%s%s\n", r.names, strings.Repeat(" ", col-trace.DisplayWidth(r.names)), trace.Wrap(r.usage, width, col, col))
	}
	return strings.TrimRight(b.String(), "\n")
}

// flagTypes are the words pflag writes for a flag's value.
var flagTypes = map[string]string{"string": i18n.N("string"), "int": i18n.N("int"), "int64": i18n.N("int64"), "duration": i18n.N("duration")}

// typeName is the word for a flag's value: its type in p's language
// (string, int, duration), or the name its usage gives in backquotes.
func typeName(p *i18n.Printer, varname string) string {
	if word, ok := flagTypes[varname]; ok {
		return p.Tr(word)
	}
	return varname
}

// defaultOf is a flag's default as pflag shows it, or "" when it shows
// none (a zero value).
func defaultOf(f *pflag.Flag) string {
	switch f.DefValue {
	case "", "0", "false", "[]", "0s":
		return ""
	}
	if f.Value.Type() == "string" {
		return fmt.Sprintf("%q", f.DefValue)
	}
	return f.DefValue
}
