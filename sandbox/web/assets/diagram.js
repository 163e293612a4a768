// The diagram of the six steps, always for one message: the steps it
// reached (done), the one being shown (lit), a step where a server said
// no (red), the servers and the mailbox named after what the servers saw.
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
    this.names = {};
    for (const id of ["sender", "smtp-from", "smtp-to", "mailbox", "pop3", "recipient"]) this.names[id] = document.getElementById("name-" + id);
    this.defaults = {};
    for (const id in this.names) this.defaults[id] = this.names[id].textContent;
  }

  // localized takes the default labels again, once the page has its words.
  localized() {
    for (const id in this.names) this.defaults[id] = this.names[id].textContent;
  }

  // show draws message m (null: nothing) with its stages up to shown
  // done and stage current lit; lines are its lines with their stages.
  show(m, lines, shown, current) {
    const local = !!m && shown >= 3 && !lines.some((x) => x.stage === 2); // one provider: no relay
    for (let i = 1; i <= 6; i++) {
      const a = this.arrows[i];
      const skipped = i === 2 && local;
      a.classList.toggle("done", !!m && i <= shown && i !== current && !skipped);
      a.classList.toggle("lit", !!m && i === current && !skipped);
      a.classList.toggle("bad", !!m && i <= shown && !!m.stageErrors[i]);
      a.classList.toggle("skipped", skipped);
    }
    const names = m ? namesOf(m, lines, shown) : {};
    for (const id in this.names) this.names[id].textContent = visible(names[id] || this.defaults[id]);
  }
}

// namesOf names the diagram's boxes after what the servers saw of a
// message, up to the stage shown.
function namesOf(m, lines, shown) {
  const names = {};
  for (const { e, stage } of lines) {
    if (stage > shown || e.kind === "internal") {
      if (e.action === "stored" && stage <= shown && e.to) names.mailbox = F("%s's mailbox", e.to);
      continue;
    }
    const server = e.dir === "server" ? e.from : e.to;
    if (stage === 1) {
      names["smtp-from"] = server;
      if (e.account) names.sender = F("%s's client", e.account);
    }
    if (stage === 2) names["smtp-to"] = server;
    if (stage >= 4 && e.proto === "POP3") {
      names.pop3 = server;
      if (e.account) names.recipient = F("%s's client", e.account);
    }
  }
  if (shown >= 3 && !names["smtp-to"]) names["smtp-to"] = names["smtp-from"];
  return names;
}
