package main

import (
	"fmt"
	"net"
	"strconv"

	"maillab/lessons"
	"maillab/sandbox"
	"maillab/sandbox/class"
	"maillab/sandbox/roster"
	"maillab/sandbox/web"
)

// pagePort is the projector page's default port, moved by --port-offset.
const pagePort = 8025

// classPage is the class page of a class sandbox on server ("" without one).
func classPage(server string, offset int) string {
	if server == "" {
		return ""
	}
	return "http://" + net.JoinHostPort(server, strconv.Itoa(pagePort+offset)) + "/"
}

// classAccounts adds the class's accounts (--students, --accounts, or a
// roster kept in --maildir) to the world, and in a class gives the
// postmaster a password of its own: the teacher's.
func classAccounts(opts *sandboxOptions, world *sandbox.World) ([]roster.Entry, error) {
	var domains []string
	for _, p := range world.Providers {
		domains = append(domains, p.Domain)
	}
	class, err := roster.Class(roster.Options{Students: opts.Students, Accounts: opts.Accounts, KeepDir: opts.Maildir, Domains: domains})
	if err != nil || class == nil {
		return nil, err
	}
	if err := world.AddStudents(class); err != nil {
		return nil, err
	}
	if err := keptSecrets(opts); err != nil {
		return nil, err
	}
	world.SetPassword(sandbox.Postmaster, opts.postmaster)
	if opts.Roster != "" {
		if err := roster.Save(opts.Roster, class); err != nil {
			return nil, err
		}
	}
	return class, nil
}

// keptSecrets gives the class its postmaster password and teacher's
// token: the ones kept in --maildir by an earlier start (a restart keeps
// them), else new ones, kept there for the next start. --token wins.
func keptSecrets(opts *sandboxOptions) error {
	var kept class.Secrets
	if opts.Maildir != "" {
		var err error
		if kept, err = class.LoadSecrets(opts.Maildir); err != nil {
			return err
		}
	}
	if kept.Postmaster == "" {
		password, err := roster.NewPassword()
		if err != nil {
			return err
		}
		kept.Postmaster = password
	}
	if opts.Token != "" {
		kept.Token = opts.Token
	}
	if kept.Token == "" {
		kept.Token = web.NewToken()
	}
	opts.postmaster, opts.Token = kept.Postmaster, kept.Token
	if opts.Maildir == "" {
		return nil
	}
	return class.SaveSecrets(opts.Maildir, kept)
}

// startPage serves the projector page, unless --web off (or --only
// without --web: one provider per process, and one page would not see the
// other's servers). The class it shows is graded by the lessons'
// exercises, from the servers' events, and kept in --maildir.
func startPage(opts *sandboxOptions, sb *sandbox.Sandbox) (*web.Server, *class.Room, error) {
	if opts.Web == "off" || opts.Web == "" && opts.Only != "" {
		return nil, nil, nil
	}
	addr := opts.Web
	if addr == "" {
		addr = net.JoinHostPort(opts.Listen, strconv.Itoa(pagePort+opts.PortOffset))
	}
	all, err := lessons.LoadIn("", opts.P.Code())
	if err != nil {
		return nil, nil, err
	}
	grader := lessons.NewGrader(all, sb.World())
	room, err := class.Open(sb.World(), class.Options{Dir: opts.Maildir, Book: grader.Book(), Grader: grader})
	if err != nil {
		return nil, nil, err
	}
	page, err := web.Start(web.Config{Sandbox: sb, Addr: addr, Token: opts.Token, Lang: opts.P, Room: room})
	if err != nil {
		room.Close()
		return nil, nil, err
	}
	return page, room, nil
}

// warnExposed says, before anything listens, who can reach what.
func warnExposed(opts *sandboxOptions) {
	p := opts.P
	opts.note(p.Trf("WARNING: listening on %s, not loopback: anyone on your network can reach these servers and read these mailboxes", opts.Listen))
	if opts.Web != "off" {
		opts.note(p.Tr("WARNING: the projector page is open to that network too; only the teacher's token protects the teacher's view and actions"))
	}
}

// printClass prints the page's address, the teacher's token and the
// class's accounts (or where they were written).
func printClass(opts *sandboxOptions, class []roster.Entry, page *web.Server) {
	out, p := opts.IO.Out, opts.P
	if page != nil {
		fmt.Fprintln(out, p.Trf("projector page: %s   teacher's view: %steacher.html", page.URL(), page.URL()))
		if opts.TLS == "on" {
			fmt.Fprintln(out, p.Trf("the CA for students' programs: %sca.pem (practice and lesson --server fetch it themselves)", page.URL()))
		}
	}
	if class == nil {
		return
	}
	students := map[string]bool{}
	for _, e := range class {
		students[e.Account] = true
	}
	fmt.Fprintf(out, "\n%s\n", p.Trf("a class of %s (keep this off the projector):", p.Count(len(students), "student")))
	if page != nil {
		fmt.Fprintf(out, "  %s\n", p.Trf("teacher's token: %s", page.Token()))
		fmt.Fprintf(out, "  %s\n", p.Trf("the teacher's view, token included: %steacher.html#token=%s", page.URL(), page.Token()))
	}
	fmt.Fprintf(out, "  %s\n", p.Trf("postmaster's password (its mailbox, by POP3): %s", opts.postmaster))
	if opts.Roster != "" {
		fmt.Fprintf(out, "  %s\n\n", p.Trf("accounts and passwords written to %s", opts.Roster))
		return
	}
	tw := newTable(out)
	fmt.Fprintln(tw, "  "+p.Tr("account")+"\t"+p.Tr("password")+"\t"+p.Tr("logs in as"))
	seen := map[string]bool{}
	for _, e := range class {
		if seen[e.Account] {
			continue
		}
		seen[e.Account] = true
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", e.Account, e.Password, p.Join(domainsOf(class, e.Account)))
	}
	tw.Flush()
	fmt.Fprintln(out)
}

// domainsOf lists the addresses an account has in the class.
func domainsOf(class []roster.Entry, account string) []string {
	var out []string
	for _, e := range class {
		if e.Account == account {
			out = append(out, e.Address())
		}
	}
	return out
}
