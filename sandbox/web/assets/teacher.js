// The teacher's view: the class, a line per student (a click opens that
// student's messages and every line of their sessions, logins and failed
// logins included); the grades the servers gave, with CSV sheets; the
// faults armed; the actions, destructive ones confirmed. Every request
// carries the token, given once (or in the address: teacher.html#token=…)
// and kept for this tab only.
"use strict";

const $ = (id) => document.getElementById(id);
const status = $("status");
const model = new History();
let classView = { tiles: [], exercises: [], grades: {}, faults: [], rules: {} };
let watching = null;     // the student whose panel is open
let watchSessions = new Set();
let showingMessage = false; // the panel shows one message, not the student's every line

// --- the token ---

function takeTokenFromAddress() {
  const m = /^#token=([0-9A-Za-z]+)$/.exec(location.hash);
  if (m) {
    sessionStorage.setItem("maillab-token", m[1]);
    history.replaceState(null, "", location.pathname); // out of the address bar and the history
  }
}

function token() { return sessionStorage.getItem("maillab-token") || ""; }

function say(text, bad) {
  status.textContent = visible(text);
  status.classList.toggle("error", !!bad);
}

// api calls the sandbox with the token; a 403 forgets it and asks again.
async function api(path, body) {
  const opts = { headers: { "Authorization": "Bearer " + token() } };
  if (body !== undefined) {
    opts.method = "POST";
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(path, opts);
  if (r.status === 403) {
    sessionStorage.removeItem("maillab-token");
    $("token-box").hidden = false;
    throw new Error(L("the token was refused: give the one the sandbox printed"));
  }
  return r;
}

// act runs an action and says what was done, in words.
async function act(path, body) {
  try {
    const r = await api(path, body);
    const text = await r.text();
    if (!r.ok) { say(F("refused: %s", text.trim()), true); return; }
    say(JSON.parse(text).said || "");
    refresh();
  } catch (err) {
    say(err.message, true);
  }
}

// confirmFirst asks before an action that deletes or forgets.
function confirmFirst(question, yes, action) {
  $("confirm-text").textContent = question;
  $("confirm-yes").textContent = yes;
  $("confirm").hidden = false;
  $("confirm-yes").focus();
  $("confirm-yes").onclick = () => { $("confirm").hidden = true; action(); };
  $("confirm-no").onclick = () => { $("confirm").hidden = true; say(L("nothing was done")); };
}

// --- the class ---

async function refresh() {
  if (!token()) { $("token-box").hidden = false; say(L("give the token the sandbox printed")); return; }
  try {
    const r = await api("api/class");
    classView = await r.json();
  } catch (err) {
    say(err.message, true);
    return;
  }
  $("token-box").hidden = true;
  roll();
  grades();
  faults();
  if (watching) drillSummary();
}

function cell(text, cls) {
  const td = el("td", cls || "", text);
  if (text !== "" && text !== undefined) td.title = visible(String(text));
  return td;
}

// roll draws a line per student.
function roll() {
  const faulted = (t) => (t.faulted > 0 ? 1 : 0);
  const tiles = [...classView.tiles].sort((a, b) => (b.stuck - a.stuck) || (faulted(b) - faulted(a)) || (a.student < b.student ? -1 : 1)); // the stuck first, then programs with problems
  const rows = tiles.map((t) => {
    const tr = document.createElement("tr");
    if (t.stuck) tr.classList.add("stuck");
    if (t.student === watching) tr.classList.add("watching");
    const name = cell(t.student, "fit");
    if (t.stuck) name.append(" ", el("span", "badge", L("stuck")));
    const latest = document.createElement("td");
    latest.append(stepDots(t.step, 0), " ", el("span", "fate" + (t.fate === "bounced" || t.fate === "deferred" || t.fate === "refused" ? " error" : ""), fateWord(t.fate)));
    if (t.to) latest.append(" ", el("span", "tile-to", "→ " + t.to));
    latest.title = t.reason ? visible(t.reason) : "";
    const err = t.last_error;
    const errText = err ? (err.claimed ? F("failed login as %s from %s", t.student, err.client) + ": " : "") + err.line : "";
    tr.append(name, cell(t.online || "", "num"), latest, cell(t.sent, "num"), cell(t.received, "num"),
      cell(t.passed, "num passed"), cell(t.failed, "num" + (t.failed ? " failed" : "")), cell(t.failed_logins, "num" + (t.failed_logins ? " failed" : "")),
      cell(errText, "last-error"), verdictCell(t), cell(t.last_seen ? ago(t.last_seen) : "–"));
    tr.addEventListener("click", () => watch(t.student));
    return tr;
  });
  $("rows").replaceChildren(...rows);
  const stuck = classView.tiles.filter((t) => t.stuck).length;
  const problems = classView.tiles.filter((t) => t.faulted > 0).length;
  $("tab-roll").textContent = (stuck ? F("The class (%d stuck)", stuck) : L("The class")) + (problems ? " · " + F("client problems: %d", problems) : "");
}

// verdictCell says what the servers found wrong with the student's
// latest client session that had anything wrong: problems in red, and how
// many sessions had problems; cautions plain. The title says what to do.
function verdictCell(t) {
  const v = t.last_verdict;
  if (!v) return cell("");
  const rule = (f) => classView.rules[f.rule] || { label: f.rule, found: f.rule, advice: "" };
  const problems = v.findings.filter((f) => f.severity === "problem");
  const first = (problems.length ? problems : v.findings)[0];
  const more = v.findings.length - 1;
  const td = cell(rule(first).label + (more > 0 ? " +" + more : ""), "verdict" + (problems.length ? " failed" : ""));
  if (t.faulted > 1) td.prepend(el("span", "badge", "×" + t.faulted), " ");
  td.title = v.findings.map((f) => rule(f).found + " (" + f.rfc + "): " + rule(f).advice + (f.example ? " — " + visible(f.example) : "")).join("\n");
  return td;
}

// grades draws student × exercise: ✓ passed, m/n checks met at best for a
// try that did not pass, nothing when not tried; self-checked columns
// are striped.
function grades() {
  const head = document.createElement("tr");
  head.append(el("th", "", L("student")));
  for (const x of classView.exercises) {
    const th = el("th", x.graded ? "" : "self", x.id);
    th.title = visible(x.title + ": " + x.goal) + (x.graded ? "" : " (" + L("self-checked") + ")");
    head.append(th);
  }
  $("grades-head").replaceChildren(head);
  const rows = classView.tiles.map((t) => {
    const tr = document.createElement("tr");
    tr.append(el("td", "", t.student));
    const mine = classView.grades[t.student] || {};
    for (const x of classView.exercises) {
      const g = mine[x.id];
      let td;
      if (!x.graded) td = el("td", "self", "—");
      else if (g && g.passed) td = el("td", "pass", "✓");
      else if (g && g.tries) { td = el("td", "fail", g.met + "/" + g.of); td.title = F("%d tries, none passed", g.tries); }
      else td = el("td", "", "");
      tr.append(td);
    }
    return tr;
  });
  $("grades-rows").replaceChildren(...rows);
}

// faults lists the faults armed, each with a way to cancel it.
function faults() {
  const list = classView.faults || [];
  $("fault-count").textContent = list.length ? F("%d faults armed", list.length) : "";
  $("no-faults").hidden = list.length > 0;
  $("faults").replaceChildren(...list.map((f) => {
    const tr = document.createElement("tr");
    const cancel = el("button", "", L("cancel"));
    cancel.type = "button";
    cancel.addEventListener("click", () => act("api/fault/cancel", { account: f.account }));
    const td = document.createElement("td");
    td.append(cancel);
    tr.append(el("td", "", f.account), el("td", "error", f.reply), td);
    return tr;
  }));
  const accounts = classView.tiles.flatMap((t) => t.accounts);
  $("accounts").replaceChildren(...accounts.map((a) => { const o = document.createElement("option"); o.value = a; return o; }));
}

// --- students' servers ---

// serversRunning are the checks seen running, to say when each ends.
let serversRunning = new Set();

// servers lists maillab check's results on students' servers; while a
// check runs, it asks again.
async function servers() {
  let list = [];
  try {
    const r = await api("api/checks");
    list = (await r.json()).checks || [];
  } catch (err) {
    return;
  }
  $("no-servers").hidden = list.length > 0;
  $("server-rows").replaceChildren(...list.map((c) => {
    const tr = document.createElement("tr");
    let result = c.running ? L("running") : c.error ? c.error : c.ok ? L("passed") : L("failed");
    if (c.strict) result += " " + L("(strict)");
    const cls = c.running ? "" : c.error || !c.ok ? "error" : "passed";
    tr.append(cell(c.student), cell(c.proto.toUpperCase()), cell(c.addr), cell(result, cls),
      cell(c.running || c.error ? "" : c.passed + "/" + c.required, "num"), cell((c.failed || []).join(" "), "last-error"),
      cell((c.warned || []).length ? F("%d warnings", c.warned.length) : ""), cell(ago(c.when)));
    tr.children[6].title = (c.warned || []).join("\n");
    tr.children[5].title = (c.failed || []).join("\n");
    if (serversRunning.has(c.student + c.addr) && !c.running) {
      say(F("%s's %s server at %s: %s", c.student, c.proto.toUpperCase(), c.addr, result + (c.error ? "" : " " + c.passed + "/" + c.required)));
    }
    return tr;
  }));
  serversRunning = new Set(list.filter((c) => c.running).map((c) => c.student + c.addr));
  if (list.some((c) => c.running)) setTimeout(servers, 1000);
  const students = classView.tiles.map((t) => t.student);
  $("students").replaceChildren(...students.map((a) => { const o = document.createElement("option"); o.value = a; return o; }));
}

async function checkServer() {
  await act("api/check", {
    student: $("check-student").value.trim(), proto: $("check-proto").value, addr: $("check-addr").value.trim(),
    user: $("check-user").value.trim(), password: $("check-password").value, strict: $("check-strict").checked,
  });
  servers();
}

// --- one student ---

function accountsOf(student) {
  const t = classView.tiles.find((x) => x.student === student);
  return t ? t.accounts : [];
}

// belongs says whether an event is the student's: a line of a session
// that logged in as them or claimed their name, or a message stored in
// their mailboxes.
function belongs(e, student, accounts) {
  const local = (a) => (a || "").toLowerCase().split("@")[0];
  const mine = (a) => accounts.includes((a || "").toLowerCase()) || !student.includes("@") && local(a) === student;
  return mine(e.account) || mine(e.claimed) || !!(e.facts && mine(e.facts.mailbox));
}

function watch(student) {
  watching = student;
  $("drill").hidden = false;
  $("who").textContent = F("%s: every line, logins included", student);
  const accounts = accountsOf(student);
  watchSessions = new Set();
  for (const e of model.events) if (e.session && belongs(e, student, accounts)) watchSessions.add(e.session);
  const items = [];
  for (const e of model.events) {
    if (e.action === "closed") continue;
    if (watchSessions.has(e.session) || belongs(e, student, accounts)) items.push(lineElement(e));
  }
  $("lines").replaceChildren();
  appendAll($("lines"), items, 1500);
  $("drill-title").textContent = L("Every line, logins included");
  showingMessage = false;
  drillSummary();
  drillLanes();
  roll();
}

function drillSummary() {
  const t = classView.tiles.find((x) => x.student === watching);
  if (!t) return;
  const div = el("div", "tile-counts");
  div.append(el("span", "", t.accounts.join(", ")), el("span", "", F("sent %d", t.sent)), el("span", "", F("received %d", t.received)),
    el("span", "passed", "✓ " + t.passed), el("span", t.failed ? "failed" : "", "✗ " + t.failed), el("span", "", F("%d sessions", t.sessions)));
  $("drill-summary").replaceChildren(div);
}

function drillLanes() {
  const accounts = accountsOf(watching);
  const mine = model.newest(maxMessages).filter((m) => [...m.sessions].some((s) => watchSessions.has(s)) ||
    m.to.some((a) => accounts.includes(a.toLowerCase())));
  $("drill-lanes").replaceChildren(...mine.slice(0, 50).map((m) => {
    const li = el("li", "lane fate-" + (m.fate || "none"));
    const top = el("div", "lane-top");
    top.append(el("span", "mtag", m.tag), el("span", "route", (m.from || "?") + " → " + (m.to.join(", ") || "?")));
    const bottom = el("div", "lane-bottom");
    let bad = 0;
    for (let i = 1; i <= 6; i++) if (m.stageErrors[i]) { bad = i; break; }
    bottom.append(stepDots(m.step, bad), el("span", "fate", fateWord(m.fate) + (m.reason ? " (" + m.reason + ")" : "")), el("span", "subject", m.subject));
    li.append(top, bottom);
    li.tabIndex = 0;
    li.addEventListener("click", () => showMessage(m));
    return li;
  }));
}

// showMessage shows one message's lines in the panel, stage by stage.
function showMessage(m) {
  const list = $("lines");
  list.replaceChildren();
  const items = [];
  let last = -1;
  for (const { e, stage } of model.linesOf(m)) {
    if (e.action === "closed") continue;
    if (stage !== last && stage > 0) items.push(el("li", "stage-heading", L(stepTitles[stage])));
    last = stage;
    items.push(lineElement(e, stage));
  }
  appendAll(list, items, 3000);
  list.scrollTop = 0;
  showingMessage = true;
  $("drill-title").textContent = F("%s, stage by stage", m.tag);
}

// follow the private stream: every line as it was, for the panel.
const renderWatched = batcher((batch) => {
  if (!watching || showingMessage) return;
  const accounts = accountsOf(watching);
  const items = [];
  for (const e of batch) {
    if (e.session && !watchSessions.has(e.session) && belongs(e, watching, accounts)) {
      watch(watching); // a session became the student's: draw its earlier lines too
      return;
    }
    if (e.action === "closed") continue;
    if (watchSessions.has(e.session) || belongs(e, watching, accounts)) items.push(lineElement(e));
  }
  appendAll($("lines"), items, 1500);
  drillLanes();
});

function connect() {
  if (!token()) return;
  const es = new EventSource("teacher/events?since=0&token=" + encodeURIComponent(token()));
  es.onmessage = (msg) => {
    const e = JSON.parse(msg.data);
    model.add(e);
    renderWatched(e);
  };
}

// --- downloads ---

// download fetches a CSV sheet behind the token and saves it.
async function download(path, name) {
  try {
    const r = await api(path);
    if (!r.ok) { say(F("refused: %s", await r.text()), true); return; }
    const url = URL.createObjectURL(await r.blob());
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    say(F("downloaded %s", a.download));
  } catch (err) {
    say(err.message, true);
  }
}

// --- wiring ---

function tab(name) {
  for (const n of ["roll", "grades", "faults", "servers"]) {
    $(n + "-view").hidden = n !== name;
    $("tab-" + n).classList.toggle("on", n === name);
  }
}

$("save-token").addEventListener("click", () => {
  sessionStorage.setItem("maillab-token", $("token").value.trim());
  $("token").value = "";
  refresh();
  connect();
});
$("play").addEventListener("click", () => {
  say(L("playing the six steps…"));
  act("api/play", { tls: $("play-tls").value });
});
$("empty-all").addEventListener("click", () => confirmFirst(
  F("Empty every mailbox of the class (%d students)? Every message in them is deleted.", classView.tiles.length),
  L("Yes, empty them all"), () => act("api/mailbox/empty", { account: "all" })));
$("drill-empty").addEventListener("click", () => confirmFirst(
  F("Empty %s's mailboxes? Every message in them is deleted.", watching), L("Yes, empty them"),
  () => act("api/mailbox/empty", { account: watching })));
$("drill-reset").addEventListener("click", () => confirmFirst(
  F("Forget %s's grades and counts?", watching), L("Yes, forget them"), () => act("api/progress/reset", { account: watching })));
$("drill-close").addEventListener("click", () => { watching = null; $("drill").hidden = true; roll(); });
$("inject").addEventListener("click", () => act("api/fault", { account: $("fault-account").value.trim(), fault: $("fault-kind").value }));
$("tab-roll").addEventListener("click", () => tab("roll"));
$("tab-grades").addEventListener("click", () => tab("grades"));
$("tab-faults").addEventListener("click", () => tab("faults"));
$("tab-servers").addEventListener("click", () => { tab("servers"); servers(); });
$("check-run").addEventListener("click", checkServer);
$("csv-servers").addEventListener("click", () => download("api/checks.csv", "maillab-servers.csv"));
for (const sheet of ["summary", "all", "failures"]) {
  $("csv-" + sheet).addEventListener("click", () => download("api/grades.csv?sheet=" + sheet, "maillab-grades-" + sheet + ".csv"));
}
document.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape") { $("confirm").hidden = true; $("drill").hidden = true; watching = null; }
});
takeTokenFromAddress();
setupTheme($("theme"));
setupZoom($("zoom-out"), $("zoom-in"));
localize().then(refresh);
setInterval(refresh, 2000);
connect();
