package main

import (
	"github.com/spf13/cobra"

	"maillab/sandbox"
	"maillab/trace"
)

// Shell completion (maillab completion bash|zsh|fish|powershell, from
// cobra): arguments and flag values complete to their choices, never to
// file names.

// domains lists the sandbox's providers.
func domains() []cobra.Completion {
	var out []cobra.Completion
	for _, p := range sandbox.DefaultWorld().Providers {
		out = append(out, p.Domain)
	}
	return out
}

// charsets are the charsets learners meet most, for --charset.
var charsets = []cobra.Completion{"gbk", "gb18030", "gb2312", "big5", "utf-8", "iso-8859-1", "windows-1252", "shift_jis", "euc-kr", "koi8-r"}

// complete registers fixed choices for a flag.
func complete(cmd *cobra.Command, flag string, choices ...cobra.Completion) {
	cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(choices, cobra.ShellCompDirectiveNoFileComp))
}

// formats are play's output formats.
func formats() []cobra.Completion {
	out := make([]cobra.Completion, len(trace.Formats))
	copy(out, trace.Formats)
	return out
}
