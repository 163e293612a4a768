// The diagram of the six steps, always for one message: the steps it
// reached (done), the one being shown (lit), a step where a server said
// no (red), a step that travelled inside TLS (marked TLS), and the boxes
// named after what the servers saw: the envelope (the answers that
// accepted MAIL and RCPT) names the people, the lines name the servers.
"use strict";

const stepTitles = ["",
  "① the sender's mail program hands the message to its own provider (SMTP)",
  "② the provider relays it to the recipient's provider (SMTP)",
  "③ the receiving server stores it in the mailbox",
  "④ the recipient's mail program logs in to the POP3 server",
  "⑤ the POP3 server reads the mailbox",
  "⑥ the POP3 server hands the message over"];

class Diagram {
  constructor() {
    this.arrows = [null];
    for (let i = 1; i <= 6; i++) this.arrows.push(document.getElementById("step-" + i));
    this.servers = {};
    for (const id of ["smtp-from", "smtp-to", "pop3"]) this.servers[id] = document.getElementById("name-" + id);
    this.people = {};
    for (const id of ["sender", "recipient", "mailbox"]) this.people[id] = document.getElementById("addr-" + id);
    this.defaults = {};
    for (const id in this.servers) this.defaults[id] = this.servers[id].textContent;
  }

  // show draws message m (null: nothing) with its stages up to shown
  // done and stage current lit; lines are its lines with their stages.
  show(m, lines, shown, current) {
    const local = !!m && sameDomain(m) && !lines.some((x) => x.stage === 2); // one provider: no relay
    for (let i = 1; i <= 6; i++) {
      const a = this.arrows[i];
      const skipped = i === 2 && local;
      a.classList.toggle("done", !!m && i <= shown && i !== current && !skipped);
      a.classList.toggle("lit", !!m && i === current && !skipped);
      a.classList.toggle("bad", !!m && i <= shown && !!m.stageErrors[i]);
      a.classList.toggle("skipped", skipped);
      a.classList.toggle("tls", !!m && i <= shown && lines.some((x) => x.stage === i && x.e.tls));
      a.title = skipped ? L("one provider: no relay") : "";
    }
    const names = m ? namesOf(m, lines, local) : {};
    for (const id in this.servers) this.servers[id].textContent = visible(names[id] || this.defaults[id]);
    // an address may break after its @, never inside a word
    for (const id in this.people) this.people[id].textContent = visible(names[id] || "").replace("@", "@\u200b");
  }
}

// domainOf is the domain of an address.
function domainOf(address) {
  const at = (address || "").lastIndexOf("@");
  return at < 0 ? "" : address.slice(at + 1).toLowerCase();
}

// sameDomain says whether a message stays at one provider.
function sameDomain(m) {
  const from = domainOf(m.account || m.from);
  return !!from && m.to.length > 0 && m.to.every((a) => domainOf(a) === from);
}

// namesOf names the diagram's boxes for a message: the sender and the
// recipient from its envelope, the servers from the lines (before a step
// has happened, the server the recipient's domain has).
function namesOf(m, lines, local) {
  const names = { sender: m.account || (m.from === "<>" ? "" : m.from), recipient: m.to[0] || "", mailbox: m.to[0] || "" };
  for (const { e, stage } of lines) {
    if (e.action === "stored" && e.to) names.mailbox = names.recipient = e.to;
    if (e.kind === "internal" || !e.proto) continue;
    const server = e.dir === "server" ? e.from : e.to;
    if (stage === 1) names["smtp-from"] = server;
    if (stage === 2) names["smtp-to"] = server;
    if (stage >= 4 && e.proto === "POP3") {
      names.pop3 = server;
      if (e.account) names.recipient = e.account;
    }
  }
  const domain = domainOf(names.mailbox);
  if (!names["smtp-to"]) names["smtp-to"] = local ? names["smtp-from"] : domain && "smtp." + domain;
  if (!names.pop3 && domain) names.pop3 = "pop3." + domain;
  return names;
}
