// The outbox: every action is written to the phone's store with its own idempotency key BEFORE any
// network call, then sent in the order recorded — on `online`, on load, on a timer and after each new
// action. The server records a key once per user (inventory/services.py), so a retry after a lost answer
// gets the first answer back instead of a second movement.
//
// States: waiting (not yet confirmed by the server), sent (the server's answer kept for the record),
// rejected (the server refused it: a rule broken on arrival, e.g. the lot was emptied meanwhile — kept
// until the keeper retries or dismisses it). A 401 keeps every item waiting until a new token is had;
// a network error or a 5xx keeps it waiting for the next try.
//
// An item goes to the ledger endpoint unless it names its own `url` and `body` (a count recorded into a
// count session: scan-counts.js; a transfer order's pick, ship or receipt: scan-orders.js), and `method`
// when it is not POST (undoing a pick is a DELETE); `op` is what it means either way.

const SEND_TIMEOUT_MS = 15000;
const SENT_KEPT = 30;

export function newKey() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export class Outbox {
  // store: scan-store Store; url: the ledger endpoint; token(): the device token or null;
  // onChange(): something changed; onSent(item): the server recorded it; onRejected(item): the server
  // refused it; onAuth(): 401 — get a new token
  constructor({ store, url, user, token, onChange, onSent, onRejected, onAuth }) {
    Object.assign(this, { store, url, user, token, onChange, onSent, onRejected, onAuth });
    this.running = null;
    this.online = true;
  }

  async add(op, context = {}) {
    const item = { key: newKey(), op, state: "waiting", recordedAt: new Date().toISOString(), tries: 0, ...context };
    item.seq = await this.store.put("outbox", item);  // on the phone before any network call
    this.onChange();
    this.flush();
    return item;
  }

  async items() {
    return (await this.store.all("outbox")).sort((a, b) => a.seq - b.seq);
  }

  async retry(seq) {
    const item = await this.store.get("outbox", seq);
    if (!item || item.state !== "rejected") return;
    // the server keeps its refusal as the answer to that key: sent again, the action is a new one
    Object.assign(item, { key: newKey(), state: "waiting", error: null });
    await this.store.put("outbox", item);
    this.onChange();
    return this.flush();
  }

  async dismiss(seq) {
    await this.store.delete("outbox", seq);
    this.onChange();
  }

  flush() {
    // one flush at a time in this page, and one per user across the phone's tabs
    if (!this.running) {
      const run = () => this._flush().finally(() => { this.running = null; });
      this.running = navigator.locks ? navigator.locks.request(`reliefdepot-outbox:${this.user}`, run) : run();
    }
    return this.running;
  }

  async _flush() {
    for (const item of await this.items()) {
      if (item.state !== "waiting") continue;
      const token = await this.token();
      if (!token) return "no-token";
      const outcome = await this._send(item, token);
      if (outcome === "stop") return "stopped";
      if (outcome === "auth") {
        this.onAuth();
        return "auth";
      }
    }
    await this._prune();
    return "done";
  }

  async _send(item, token) {
    item.tries += 1;
    item.lastTry = new Date().toISOString();
    let response;
    // most actions go to the ledger; an item may name its own endpoint and body (a write-off request)
    const { url, body, method } = item.send || { url: this.url, body: item.op };
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), SEND_TIMEOUT_MS);
    try {
      response = await fetch(url, {
        method: method || "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}`, "Idempotency-Key": item.key },
        body: JSON.stringify(body),
        credentials: "omit",
        signal: abort.signal,
      });
    } catch (e) {  // offline, or the answer was lost: the same key goes again next time
      this.online = false;
      await this.store.put("outbox", item);
      this.onChange();
      return "stop";
    } finally {
      clearTimeout(timer);
    }
    this.online = true;
    const answer = await response.json().catch(() => null);
    if (response.ok) {
      Object.assign(item, { state: "sent", sentAt: new Date().toISOString(), result: answer });
      await this.store.put("outbox", item);
      this.onSent(item);
      this.onChange();
      return "next";
    }
    if (response.status === 401) {
      await this.store.put("outbox", item);
      return "auth";
    }
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
      const error = (answer && answer.error) || { status: response.status, code: "http", message: response.statusText };
      Object.assign(item, { state: "rejected", error, rejectedAt: new Date().toISOString() });
      await this.store.put("outbox", item);
      this.onRejected(item);
      this.onChange();
      return "next";  // the keeper resolves this one; the others go on
    }
    await this.store.put("outbox", item);  // 5xx, 408, 429: try again later
    this.onChange();
    return "stop";
  }

  async _prune() {
    const sent = (await this.items()).filter((i) => i.state === "sent");
    for (const item of sent.slice(0, Math.max(0, sent.length - SENT_KEPT))) await this.store.delete("outbox", item.seq);
  }
}
