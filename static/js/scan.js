// The scanning page: what happens after a scan or a typed code, the action forms, the outbox list.
// Pieces: scan-codes (what a text points at), scan-store (IndexedDB), scan-outbox (sending once, in
// order), scan-lots (lookups and the offline copy), scan-camera (getUserMedia + barcode-detector),
// scan-counts (the open count session of the depot in view, counted into through the outbox), scan-orders
// (transfer orders: an order label opens the order; then a lot scanned picks it; ship, receive, deliver),
// scan-returns (回收: with the mode on, a lot scanned is received back from an incident's site; inspections).
import { Camera } from "./scan-camera.js";
import { parseScan } from "./scan-codes.js";
import { Counts } from "./scan-counts.js";
import { Lots, getJSON, provisional } from "./scan-lots.js";
import { Orders } from "./scan-orders.js";
import { formatDate, formatDateTime } from "./scan-format.js";
import { Outbox, newKey } from "./scan-outbox.js";
import { Picking } from "./scan-picking.js";
import { Returns } from "./scan-returns.js";
import { Store } from "./scan-store.js";

const FLUSH_EVERY_MS = 20000;
const SAME_CODE_PAUSE_MS = 3000;
const config = JSON.parse(document.getElementById("scan-config").textContent);
const T = JSON.parse(document.getElementById("scan-strings").textContent);
const UNITS = JSON.parse(document.getElementById("scan-units").textContent);
const $ = (id) => document.getElementById(id);
const csrf = () => (document.querySelector('input[name="csrf_token"]') || {}).value;

const fill = (text, values = {}) => String(text).replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
const unit = (lot) => UNITS[lot.unit] || lot.unit || "";
// Times and dates as the other pages write them: 2026年12月5日 15:03, 2027年6月1日 (scan-format.js).
const when = (iso) => formatDateTime(iso, document.documentElement.lang);
const day = (iso) => formatDate(iso, document.documentElement.lang);
const depotName = (code) => (config.depots.find((d) => d.code === code) || { name: code }).name;

let store, outbox, lots, camera, picking, sessions, orders, returns;
let current = null;  // {lot, readOnly}
let action = null;
let lastScan = { text: "", at: 0 };
const counted = [];

// ---------------------------------------------------------------- messages

function say(title, detail = "") {
  const box = $("message");
  box.querySelector(".message-title").textContent = title;
  box.querySelector(".message-detail").textContent = detail;
  box.hidden = false;
}

function confirm(text) {
  $("confirmation").textContent = text;
  $("confirmation").hidden = !text;
}

function clearMessages() {
  $("message").hidden = true;
  confirm("");
}

function errorText(error) {
  return (error && T.errors[error.code]) || T.errors.other;
}

// The server's own words for a refusal, in the page's language where its message code is known
// (inventory/vocab.py ERROR_MESSAGES, with the error's parameters), else as the server said it.
function errorDetail(error) {
  if (!error) return "";
  const template = error.message_code && T.messages[error.message_code];
  if (!template) return error.message || "";
  const params = error.params || {};
  return template.replace(/%\((\w+)\)s/g, (m, k) => (k in params ? params[k] : m));
}

// ---------------------------------------------------------------- a scan or a typed code

async function handle(text) {
  clearMessages();
  const found = parseScan(text, config.base);
  if (found.error === "empty") return say(T.empty);
  if (found.error === "foreign") return say(T.foreign, T.foreignHint);
  if (found.error) return say(T.malformed, T.malformedHint);
  if (found.kind === "order") return orders.open(found.code);
  if (found.kind === "any" && /^DO-[0-9A-Z-]+$/.test(found.code)) return orders.open(found.code);
  if (found.kind === "depot") return setDepot(found.code, found.shelf);
  if (found.kind === "any" && config.depots.some((d) => d.code === found.code)) return setDepot(found.code, null);
  if (returns.takesLots()) return returns.scanLot(found.code);  // 回收 on: the lot comes back from a site
  if (orders.takesLots()) return orders.scanLot(found.code);  // an order open to pick: the lot is picked for it
  return showLot(found.code, found.kind === "any");
}

async function setDepot(code, shelf) {
  if (config.keeps && !config.depots.some((d) => d.code === code)) {
    return say(fill(T.depotNotKept, { code }));
  }
  let name = depotName(code);
  if (!config.depots.some((d) => d.code === code)) {  // someone who reads every depot: ask the server
    try {
      const answer = await getJSON(config.urls.depot + encodeURIComponent(code), await token());
      if (answer.status === 404) return say(fill(T.unknownDepot, { code }), T.unknownHint);
      if (answer.status === 200) name = answer.body.name;
    } catch (e) { /* offline: take the code as it is */ }
  }
  const working = { code, name, shelf };
  await store.setMeta("workingDepot", working);
  showDepot(working);
  await sessions.show(code, { fresh: true });
  confirm(fill(T.depotSet, { depot: depotLabel(working) }));
  await picking.shelf(working);
}

function depotLabel(d) {
  return `${d.name} ${d.code}` + (d.shelf ? ` · ${fill(T.shelf, { shelf: d.shelf })}` : "");
}

function showDepot(d) {
  $("working-depot").textContent = d ? depotLabel(d) : T.notSet;
  $("working-depot").dataset.code = d ? d.code : "";
}

async function showLot(code, bare) {
  const found = await lots.lookup(code);
  if (found.lot) return render(found.lot, found.fresh);
  hideLot();
  if (found.status === 404) return say(fill(bare ? T.unknown : T.unknownLot, { code }), T.unknownHint);
  if (found.status === 403) return say(T.notYourLot, errorDetail(found.error));
  if (found.offline || found.status === 401 || found.status >= 500) return say(fill(T.offlineUnknown, { code }));
  return say(errorText(found.error), errorDetail(found.error));
}

function hideLot() {
  current = null;
  $("lot").hidden = true;
  closeAction();
}

async function render(lot, fresh) {
  if (orders.current) orders.hide();  // a lot looked up while no order is being picked
  const mine = config.canChange && (!config.keeps || config.depots.some((d) => d.code === lot.depot));
  current = { lot, readOnly: !mine, fresh };
  await sessions.show(lot.depot);
  const card = $("lot");
  for (const el of card.querySelectorAll("[data-f]")) el.textContent = lot[el.dataset.f] ?? "";
  card.querySelector('[data-f="item_name"]').textContent =
    document.documentElement.lang === "en" ? lot.item_name_en || lot.item_name : lot.item_name;
  $("lot-expiry").textContent = day(lot.expires_on) || T.noExpiry;
  $("lot-expiry-tile").classList.toggle("warn", lot.status === "expired");
  $("lot-status").textContent = T.statuses[lot.status] || lot.status;
  $("lot-status").className = `badge expiry-${lot.status}`;
  $("card-link").href = config.urls.card + encodeURIComponent(lot.code);
  await showQuantity();
  const readOnly = $("lot-readonly");
  readOnly.hidden = mine;
  readOnly.textContent = config.canChange ? T.notYourLot : T.readOnlyRole;
  const working = await store.meta("workingDepot");
  const warnings = [];
  if (working && working.code !== lot.depot) {
    warnings.push(fill(T.otherDepot, { depot: `${lot.depot_name} ${lot.depot}`, working: depotLabel(working) }));
  }
  if (mine && lot.status === "expired") warnings.push(T.expiredOnly);
  await picking.show(lot, fresh, mine, working);
  $("lot-warning").textContent = warnings.join(" ");
  $("lot-warning").hidden = warnings.length === 0;
  $("actions").hidden = !mine;
  for (const button of $("actions").querySelectorAll("button")) {
    button.disabled = lot.status === "expired" && ["issue", "transfer"].includes(button.dataset.action);
    button.title = button.disabled ? T.expiredOnly : "";
  }
  card.hidden = false;
  closeAction();
  if (mine && $("count-mode").checked) openAction("count");
}

async function showQuantity() {
  const { lot, fresh } = current;
  const waiting = await outbox.items();
  const { quantity, pending } = provisional(lot, waiting);
  $("lot-quantity").textContent = sessions.hidesQuantity(lot) ? T.blindHidden : `${quantity} ${unit(lot)}`;
  $("lot-quantity").classList.toggle("provisional", pending > 0);
  const notes = [];
  if (pending) notes.push(fill(T.provisional, { count: pending }));
  notes.push(fill(fresh === false ? T.fromPhone : T.asOf, { time: when(lot.asOf) }));
  $("lot-asof").textContent = notes.join(" ");
}

// ---------------------------------------------------------------- actions

function openAction(kind) {
  action = kind;
  const lot = current.lot;
  const session = kind === "count" && sessions.sessionFor(lot);
  $("action-title").textContent = `${session ? `${session.reference} · ` : ""}${T.kinds[kind]} · ${lot.code}`;
  $("action-note").textContent = session ? fill(T.countInto, { count: session.reference }) : "";
  $("action-note").hidden = !session;
  $("quantity-label").textContent = kind === "count" ? T.counted : T.quantity;
  $("quantity").value = kind === "write_off" && lot.status === "expired" ? String(lot.quantity) : "";
  $("to-depot-row").hidden = kind !== "transfer";
  $("reason-row").hidden = kind !== "write_off";
  if (kind === "write_off") $("reason").value = lot.status === "expired" ? "expired" : "damaged";
  $("action-submit").textContent = kind === "write_off" ? T.sendForApproval : T.record;
  if (kind === "transfer") {
    const others = config.depots.filter((d) => d.code !== lot.depot);
    $("to-depot").replaceChildren(...others.map((d) => new Option(`${d.name} ${d.code}`, d.code)));
    const working = $("working-depot").dataset.code;
    if (working && others.some((d) => d.code === working)) $("to-depot").value = working;
  }
  $("action-error").hidden = true;
  $("action-form").hidden = false;
  for (const b of $("actions").querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.action === kind));
  $("quantity").focus();
}

function closeAction() {
  action = null;
  $("action-form").hidden = true;
  for (const b of $("actions").querySelectorAll("button")) b.setAttribute("aria-pressed", "false");
}

function fieldError(text) {
  $("action-error").textContent = text;
  $("action-error").hidden = false;
  $("quantity").focus();
}

async function submitAction(event) {
  event.preventDefault();
  if (!current || !action) return;
  const lot = current.lot;
  const raw = $("quantity").value.trim();
  const number = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (action === "count" ? !(number >= 0) : !(number >= 1)) return fieldError(action === "count" ? T.countNumber : T.wholeNumber);
  const op = { kind: action, lot: lot.code };
  if (action === "count") op.counted = number;
  else op.quantity = number;
  if (action === "transfer") {
    if (!$("to-depot").value) return fieldError(T.noOtherDepot);
    op.to_depot = $("to-depot").value;
  }
  if (action === "write_off") op.reason = $("reason").value;
  const note = picking.note(action, lot.code);  // first-expiry-first-out passed over: said in the ledger
  if (note) op.note = note;
  const { quantity: before } = provisional(lot, await outbox.items());
  if (["issue", "transfer", "write_off"].includes(action) && number > before) {
    return fieldError(fill(T.notEnough, { balance: before, unit: unit(lot) }));
  }
  // A write-off is a request (POST /api/v1/write-offs): nothing leaves the lot until an administrator approves it.
  // A count of a lot in the open count session goes into the session (POST /api/v1/counts/<id>/lines).
  const session = action === "count" && sessions.sessionFor(lot);
  const into = session ? sessions.target(session, op)
    : action === "write_off" ? { send: { url: config.urls.writeOffs, body: { lot: op.lot, quantity: op.quantity, reason: op.reason } } }
    : {};
  const item = await outbox.add(op, { item: lot.item_name, unit: lot.unit, depot: lot.depot, ...into });
  const { quantity } = provisional(lot, await outbox.items());
  confirm(session ? fill(T.countQueued, { count: session.reference })
    : action === "write_off" ? T.writeOffQueued : fill(T.queued, { balance: quantity, unit: unit(lot) }));
  if (session) await sessions.paint();
  if (action === "count") noteCount(item, lot);
  closeAction();
  await showQuantity();
  await outbox.flush();
  if ($("count-mode").checked) nextScan();
}

function noteCount(item, lot) {
  counted.unshift({ seq: item.seq, text: `${lot.code} · ${lot.item_name} · ${item.op.counted} ${unit(lot)}` });
  $("counts").hidden = false;
  $("counts-count").textContent = String(counted.length);
  $("counts-list").replaceChildren(...counted.map((c) => Object.assign(document.createElement("li"), { textContent: c.text })));
}

function nextScan() {
  $("code").value = "";
  $("code").focus();
}

function describeResult(item) {
  if (item.returns) return returns.result(item);
  if (item.order) return orders.describe(item);
  const op = item.op;
  const entries = (item.result && item.result.entries) || [];
  const u = UNITS[item.unit] || item.unit || "";
  const first = entries[0] || {};
  if (item.count) return sessions.describe(item, u);
  if (op.kind === "count") return fill(T.countRecorded, { balance: first.balance_after, unit: u, difference: first.quantity });
  if (op.kind === "write_off" && item.send) {
    const r = item.result || {};
    return fill(T.writeOffRequested, { reference: r.reference, quantity: op.quantity, unit: u, balance: r.lot_quantity });
  }
  if (op.kind === "transfer") return fill(T.moved, { quantity: op.quantity, unit: u, depot: depotName(op.to_depot), balance: first.balance_after });
  return fill(T.recorded, { kind: T.kinds[op.kind], quantity: op.quantity, unit: u, balance: first.balance_after });
}

async function onSent(item) {
  if (item.returns) return returns.sent(item);
  if (item.order) return orders.sent(item);
  if (item.count) {
    await sessions.sent(item);
    return confirm(describeResult(item));
  }
  if (item.send) return confirm(describeResult(item));  // a write-off request: the balance is unchanged
  await lots.confirmed(item.result && item.result.entries);
  if (current && current.lot.code === item.op.lot) {
    const fresh = await store.get("lots", current.lot.code);
    if (fresh) current.lot = fresh;
    else current.lot = { ...current.lot, quantity: item.result.entries[0].balance_after };
    current.fresh = true;
    await showQuantity();
  }
  confirm(describeResult(item));
}

async function onRejected(item) {
  confirm("");
  say(`${T.rejected}: ${opText(item)}`, `${errorText(item.error)} ${errorDetail(item.error)} ${T.resolve}`);
  if (item.order) return orders.rejected(item);
  if (item.returns) return returns.rejected(item);
  // a count session started (or ended) meanwhile: the page learns it, and the next count goes the right way
  if (item.error && ["count_session_open", "count_state"].includes(item.error.code)) await sessions.show(item.depot, { fresh: true });
  if (current && current.lot.code === item.op.lot) await refreshCurrent();
}

async function refreshCurrent() {
  const found = await lots.lookup(current.lot.code);
  if (!found.lot || !current || current.lot.code !== found.lot.code) return;
  Object.assign(current, { lot: found.lot, fresh: found.fresh });
  await showQuantity();
}

// ---------------------------------------------------------------- the outbox list

function opText(item) {
  if (item.returns) return returns.describe(item);
  if (item.order) return orders.describe(item);
  const op = item.op;
  const amount = op.kind === "count" ? `= ${op.counted}` : op.quantity;
  const to = op.kind === "transfer" ? ` → ${op.to_depot}` : item.count ? ` → ${item.count.reference}` : "";
  return `${T.kinds[op.kind]} ${amount} ${UNITS[item.unit] || item.unit || ""} · ${op.lot}${to} · ${item.item || ""}`;
}

function outboxRow(item) {
  const li = document.createElement("li");
  li.className = `outbox-item state-${item.state}`;
  li.dataset.key = item.key;
  const state = Object.assign(document.createElement("span"), { className: "badge outbox-state", textContent: T[item.state] });
  const what = Object.assign(document.createElement("span"), { className: "outbox-what", textContent: opText(item) });
  const time = Object.assign(document.createElement("span"), { className: "muted outbox-time", textContent: fill(T.recordedAt, { time: when(item.recordedAt) }) });
  li.append(state, " ", what, " ", time);
  if (item.state === "sent") li.append(Object.assign(document.createElement("p"), { className: "outbox-result", textContent: describeResult(item) }));
  if (item.state === "rejected") {
    const why = Object.assign(document.createElement("p"), { className: "outbox-error", textContent: `${errorText(item.error)} ${T.resolve}` });
    const detail = Object.assign(document.createElement("p"), { className: "muted outbox-detail", textContent: errorDetail(item.error) });
    const retry = Object.assign(document.createElement("button"), { type: "button", className: "button", textContent: T.retry });
    const dismiss = Object.assign(document.createElement("button"), { type: "button", className: "button", textContent: T.dismiss });
    retry.addEventListener("click", () => outbox.retry(item.seq));
    dismiss.addEventListener("click", () => outbox.dismiss(item.seq));
    li.append(why, detail, retry, " ", dismiss);
  }
  return li;
}

async function showOutbox() {
  const items = await outbox.items();
  const open = items.filter((i) => i.state !== "sent");
  const sent = items.filter((i) => i.state === "sent").reverse();
  $("outbox").replaceChildren(...open.map(outboxRow));
  $("outbox-count").textContent = String(open.length);
  $("outbox-empty").hidden = open.length > 0;
  $("sent").replaceChildren(...sent.map(outboxRow));
  $("sent-count").textContent = String(sent.length);
  if (current) await showQuantity();
}

// ---------------------------------------------------------------- the device token and being online

async function token() {
  return store.meta("token");
}

let tokenChecked = false;

async function ensureToken() {
  const kept = await token();
  if (kept && !tokenChecked) {  // once per page load: a token revoked elsewhere is replaced
    try {
      const answer = await getJSON(config.urls.me, kept);
      tokenChecked = answer.status !== 401;
      if (answer.status === 401) await store.setMeta("token", null);
    } catch (e) { /* offline: keep it */ }
  }
  if (await token()) return true;
  let device = await store.meta("device");
  if (!device) {
    device = newKey();
    await store.setMeta("device", device);
  }
  try {
    const response = await fetch(config.urls.deviceToken, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ device: `scan ${device}` }),
    });
    if (!response.ok) return false;
    const body = await response.json();
    if (body.username !== config.user) return false;
    await store.setMeta("token", body.token);
    return true;
  } catch (e) {
    return false;
  } finally {
    showDevice();
  }
}

async function onAuthProblem() {
  await store.setMeta("token", null);  // revoked or unknown: a logged-in session gets a new one
  if (await ensureToken()) return outbox.flush();
  $("auth-problem").hidden = false;
}

async function showDevice() {
  const t = await token();
  $("token-state").textContent = t ? fill(T.tokenReady, { user: config.user }) : T.tokenMissing;
  const asOf = await store.meta("lotsAsOf");
  const count = await store.meta("lotsCount");
  $("lots-asof").textContent = asOf ? fill(T.lotsKept, { count, time: when(asOf) }) : T.lotsNone;
}

function showNetwork() {
  const up = navigator.onLine && outbox.online;
  $("net").textContent = up ? T.online : T.offline;
  $("net").className = `badge net net-${up ? "online" : "offline"}`;
}

async function whenOnline() {
  outbox.online = true;
  showNetwork();
  if (await ensureToken()) {
    $("auth-problem").hidden = true;
    await outbox.flush();
    if (config.keeps) {
      try {
        await store.setMeta("lotsCount", await lots.refresh());
        await orders.refresh();
      } catch (e) { /* offline again: the copy kept stays */ }
    }
    if (config.canChange) await returns.refresh().catch(() => {});  // offline again: the copy kept stays
    if (current) await refreshCurrent();
    await sessions.show(current ? current.lot.depot : $("working-depot").dataset.code, { fresh: true });
  }
  showDevice();
  showNetwork();
}

// ---------------------------------------------------------------- the camera

function onCameraCode(text) {
  const now = Date.now();
  if (text === lastScan.text && now - lastScan.at < SAME_CODE_PAUSE_MS) return;
  lastScan = { text, at: now };
  if (navigator.vibrate) navigator.vibrate(60);
  $("code").value = text;
  handle(text);
}

async function toggleCamera() {
  const button = $("camera-toggle");
  if (camera.running) {
    camera.stop();
    $("camera-box").hidden = true;
    button.textContent = T.startCamera;
    $("camera-message").textContent = "";
    return;
  }
  $("camera-message").textContent = T.cameraStarting;
  $("camera-box").hidden = false;
  try {
    await camera.start();
    button.textContent = T.stopCamera;
    $("camera-message").textContent = camera.engine === "jsqr" ? `${T.cameraOn} ${T.cameraFallback}` : T.cameraOn;
    $("camera-message").dataset.engine = camera.engine;
  } catch (e) {
    camera.stop();
    $("camera-box").hidden = true;
    $("camera-message").textContent = fill(T.cameraFailed, { error: e.message || e.name });
  }
}

// ---------------------------------------------------------------- start

async function start() {
  store = await Store.open(config.user);
  lots = new Lots({ store, urls: config.urls, token });
  outbox = new Outbox({
    store, url: config.urls.ledger, user: config.user, token,
    onChange: () => { showOutbox(); showNetwork(); }, onSent, onRejected, onAuth: onAuthProblem,
  });
  picking = new Picking({
    store, outbox, urls: config.urls, token, strings: T, day, unit, csrf, detail: errorDetail,
    open: (code) => { $("code").value = code; return showLot(code, false); },
  });
  sessions = new Counts({
    store, urls: config.urls, token, T, fill,
    el: { box: $("count-session"), title: $("count-session-title"), progress: $("count-session-progress"), link: $("count-session-link") },
  });
  orders = new Orders({
    store, outbox, urls: config.urls, token, config, T, fill, day, when, detail: errorDetail, say, confirm, units: UNITS,
    lot: (code) => lots.lookup(code), before: () => { clearMessages(); hideLot(); },
  });
  returns = new Returns({
    store, outbox, urls: config.urls, token, config, T, fill, when, detail: errorDetail, say, confirm, units: UNITS,
    working: () => $("working-depot").dataset.code, before: () => { hideLot(); orders.hide(); },
  });
  camera = new Camera({ video: $("camera"), urls: config.urls, onCode: onCameraCode, onError: (e) => console.warn(e) });

  $("code-form").addEventListener("submit", (e) => {
    e.preventDefault();
    handle($("code").value).then(() => { if (!current || !$("count-mode").checked) $("code").select(); });
  });
  $("actions").addEventListener("click", (e) => { if (e.target.dataset.action) openAction(e.target.dataset.action); });
  $("action-form").addEventListener("submit", submitAction);
  $("action-cancel").addEventListener("click", closeAction);
  $("camera-toggle").addEventListener("click", toggleCamera);
  $("send-now").addEventListener("click", () => whenOnline());
  $("count-mode").addEventListener("change", () => { if (current && !current.readOnly && $("count-mode").checked) openAction("count"); });
  window.addEventListener("online", whenOnline);
  window.addEventListener("offline", () => { outbox.online = false; showNetwork(); });
  setInterval(() => { if (navigator.onLine) outbox.flush().then(showNetwork); }, FLUSH_EVERY_MS);
  document.querySelector("form.logout")?.addEventListener("submit", forgetToken);

  const working = await store.meta("workingDepot");
  showDepot(working);
  if (working) await sessions.show(working.code);
  await showOutbox();
  await orders.paintList();
  await returns.start();
  await showDevice();
  showNetwork();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.urls.sw, { scope: config.urls.scope }).catch((e) => console.warn("service worker", e));
  }
  document.body.dataset.scanReady = "1";
  const code = new URLSearchParams(location.search).get("code");
  if (code) {
    $("code").value = code;
    handle(code);
  }
  if (navigator.onLine) whenOnline();
}

async function forgetToken(event) {
  // logging out on this page ends this phone's token too; waiting actions stay for the next login
  event.preventDefault();
  const t = await token();
  if (t) {
    await store.setMeta("token", null);
    await fetch("/api/v1/tokens/current", { method: "DELETE", headers: { Authorization: `Bearer ${t}` }, credentials: "omit" })
      .catch(() => {});
  }
  event.target.submit();
}

start();
