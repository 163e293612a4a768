// The teacher's view: the class table, one student's transcript as it
// was (logins included), and the actions. Every request carries the token.
"use strict";

const rows = document.getElementById("rows");
const lines = document.getElementById("lines");
const status = document.getElementById("status");
const tokenBox = document.getElementById("token");
let watching = null;
let stream = null;

document.getElementById("save-token").addEventListener("click", () => {
  sessionStorage.setItem("maillab-token", tokenBox.value.trim());
  tokenBox.value = "";
  refresh();
});

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

function button(label, action) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.addEventListener("click", (ev) => { ev.stopPropagation(); action(); });
  return b;
}

async function refresh() {
  const t = sessionStorage.getItem("maillab-token");
  if (!t) { status.textContent = L("give the token the sandbox printed"); return; }
  const r = await fetch("api/class", { headers: { "Authorization": "Bearer " + t } });
  if (!r.ok) { status.textContent = F("the token was refused (%s)", r.status); return; }
  const table = await r.json();
  rows.replaceChildren(...table.map((s) => {
    const tr = document.createElement("tr");
    if (s.last_error) tr.classList.add("error");
    if (s.account === watching) tr.classList.add("watching");
    const actions = document.createElement("td");
    actions.append(
      button(L("empty mailbox"), () => teacherPost("api/mailbox/empty", { account: s.account }, status)),
      button(L("reset progress"), () => teacherPost("api/progress/reset", { account: s.account }, status)));
    tr.append(cell(s.account), cell(s.sessions), cell(s.sent), cell(s.received),
      cell(s.last_command || ""), cell(s.last_reply || ""), cell((s.passed || []).join(", ")), actions);
    tr.addEventListener("click", () => watch(s.account));
    return tr;
  }));
  status.textContent = F("%d accounts", table.length);
}

// watch shows one account's sessions as they were, from the oldest event
// the sandbox keeps.
function watch(account) {
  watching = account;
  document.getElementById("who").textContent = F("%s: every line, logins included", account);
  lines.replaceChildren();
  if (stream) stream.close();
  const sessions = {};  // session -> true once it logged in as this account
  const early = {};     // session -> its lines before it logged in
  stream = new EventSource("teacher/events?since=0&token=" + encodeURIComponent(sessionStorage.getItem("maillab-token") || ""));
  stream.onmessage = (m) => {
    const e = JSON.parse(m.data);
    if (e.action === "closed") { delete early[e.session]; return; }
    if (e.account === account && e.session && !sessions[e.session]) {
      sessions[e.session] = true;
      (early[e.session] || []).forEach((x) => appendLine(lines, x)); // the lines before the login
      delete early[e.session];
    }
    if (e.account === account || sessions[e.session] || (e.facts && e.facts.mailbox === account)) {
      appendLine(lines, e);
    } else if (e.session && !e.account) {
      (early[e.session] = early[e.session] || []).push(e);
      if (early[e.session].length > 200) early[e.session].shift();
    }
  };
}

document.getElementById("inject").addEventListener("click", () => teacherPost("api/fault", {
  account: document.getElementById("fault-account").value.trim(),
  fault: document.getElementById("fault-kind").value,
}, status));
document.getElementById("empty-all").addEventListener("click", () => teacherPost("api/mailbox/empty", { account: "all" }, status));
document.getElementById("play").addEventListener("click", () =>
  teacherPost("api/play", { tls: document.getElementById("play-tls").value }, status));
setupTheme(document.getElementById("theme"));
localize();
setInterval(refresh, 2000);
refresh();
