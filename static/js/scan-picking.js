// Where to pick from, on the scanning page: the lot's shelf, the lot of the same item at the same depot
// that should leave first (first-expiry-first-out, scan-fefo.js), the lots on a scanned shelf, and putting
// a lot on the working shelf. scan.js calls show() for each lot it renders, shelf() when a shelf label
// sets the working depot, and note() when it records an issue or a move.
//
// Online, the server's answer names the first lot (GET /api/v1/lots/<code> → first_out). Offline, or
// from the copy kept on the phone, the same rule runs over the kept lots of that item and depot, with the
// actions still waiting in the outbox applied to their quantities.
import { firstOut, isExpired, localToday, outOfOrder, pickingOrder } from "./scan-fefo.js";
import { getJSON, provisional } from "./scan-lots.js";

const $ = (id) => document.getElementById(id);
const fill = (text, values = {}) => String(text).replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));

export class Picking {
  constructor({ store, outbox, urls, token, strings, day, unit, open, csrf, detail }) {
    Object.assign(this, { store, outbox, urls, token, T: strings, day, unit, open, csrf, detail });
    this.warned = null;  // {lot, first}: the warning on screen, for the ledger note
  }

  where(lot) {
    return lot.shelf ? fill(this.T.shelf, { shelf: lot.shelf }) : this.T.noShelf;
  }

  // the first lot by the server's word (a fresh answer) or by the rule over the phone's copy
  async first(lot, fresh) {
    if (fresh && lot.first_out !== undefined) return lot.first_out;
    const waiting = await this.outbox.items();
    const kept = (await this.store.all("lots"))
      .filter((l) => l.item === lot.item && l.depot === lot.depot)
      .map((l) => ({ ...l, quantity: provisional(l, waiting).quantity }));
    return firstOut(kept, localToday());
  }

  async show(lot, fresh, mine, working) {
    $("lot-shelf").textContent = lot.shelf || this.T.noShelf;
    this.warned = null;
    const box = $("lot-fefo");
    box.hidden = true;
    this._shelfButton(lot, mine, working);
    if (!mine) return;
    const first = await this.first(lot, fresh);
    if (!first) return;
    const expired = isExpired(lot.expires_on, localToday()) || lot.status === "expired";
    const warn = !expired && outOfOrder(lot, first);
    if (first.code === lot.code) {
      box.textContent = this.T.fefoThis;
    } else {
      const text = fill(first.expires_on ? this.T.fefoFirst : this.T.fefoFirstDurable,
        { lot: first.code, where: this.where(first), date: this.day(first.expires_on) });
      box.textContent = warn ? `${text} ${this.T.fefoContinue}` : text;
    }
    box.className = warn ? "scan-warning fefo-warning" : "fefo-note muted";
    box.dataset.first = first.code;
    box.hidden = false;
    if (warn) this.warned = { lot: lot.code, first: first.code };
  }

  // a note for the ledger line when an issue or a move is recorded after the warning was shown
  note(kind, lotCode) {
    if (!["issue", "transfer"].includes(kind) || !this.warned || this.warned.lot !== lotCode) return null;
    return fill(this.T.fefoNote, { lot: this.warned.first });
  }

  // ---------------------------------------------------------------- a shelf label: the lots on that shelf

  async shelf(working) {
    const section = $("shelf-lots");
    if (!working || !working.shelf) {
      section.hidden = true;
      return;
    }
    let lots = null;
    try {
      const url = `${this.urls.lots}?depot=${encodeURIComponent(working.code)}&shelf=${encodeURIComponent(working.shelf)}&limit=200`;
      const answer = await getJSON(url, await this.token());
      if (answer.status === 200) lots = answer.body.lots;
    } catch (e) { /* offline: the copy on the phone */ }
    if (lots === null) {
      const waiting = await this.outbox.items();
      lots = (await this.store.all("lots"))
        .filter((l) => l.depot === working.code && l.shelf === working.shelf)
        .map((l) => ({ ...l, quantity: provisional(l, waiting).quantity }))
        .filter((l) => l.quantity > 0);
    }
    const today = localToday();
    const order = [...pickingOrder(lots, today), ...lots.filter((l) => !pickingOrder([l], today).length)];
    $("shelf-lots-title").textContent = fill(this.T.shelfLots, { shelf: working.shelf });
    $("shelf-lots-count").textContent = String(order.length);
    $("shelf-lots-empty").hidden = order.length > 0;
    $("shelf-lots-list").replaceChildren(...order.map((lot) => this._shelfRow(lot, today)));
    section.hidden = false;
  }

  _shelfRow(lot, today) {
    const li = document.createElement("li");
    const button = Object.assign(document.createElement("button"), { type: "button", className: "button shelf-lot" });
    const name = document.documentElement.lang === "en" ? lot.item_name_en || lot.item_name : lot.item_name;
    const expiry = lot.expires_on ? fill(this.T.expires, { date: this.day(lot.expires_on) }) : this.T.noExpiry;
    const expired = isExpired(lot.expires_on, today) ? ` · ${this.T.statuses.expired}` : "";
    button.append(Object.assign(document.createElement("span"), { className: "code", textContent: lot.code }),
      ` ${name} · ${lot.quantity} ${this.unit(lot)} · ${expiry}${expired}`);
    button.dataset.code = lot.code;
    button.addEventListener("click", () => this.open(lot.code));
    li.append(button);
    return li;
  }

  // ---------------------------------------------------------------- putting a lot on the working shelf

  _shelfButton(lot, mine, working) {
    const button = $("put-on-shelf");
    const offer = mine && working && working.shelf && working.code === lot.depot && lot.shelf !== working.shelf;
    button.hidden = !offer;
    if (!offer) return;
    button.textContent = fill(this.T.putOnShelf, { shelf: working.shelf });
    button.onclick = () => this._put(lot, working);
  }

  async _put(lot, working) {
    const { shelf } = working;
    const status = $("put-on-shelf-status");
    status.textContent = "";
    try {
      const t = await this.token();
      const headers = { "Content-Type": "application/json", ...(t ? { Authorization: `Bearer ${t}` } : { "X-CSRFToken": this.csrf() }) };
      const response = await fetch(this.urls.lot + encodeURIComponent(lot.code) + "/shelf", {
        method: "PUT", headers, credentials: t ? "omit" : "same-origin", body: JSON.stringify({ shelf }),
      });
      const body = await response.json().catch(() => null);
      if (!response.ok) {
        status.textContent = (body && body.error && this.detail(body.error)) || this.T.putFailed;
        return;
      }
      const kept = await this.store.get("lots", lot.code);
      if (kept) await this.store.put("lots", { ...kept, shelf });
      lot.shelf = shelf;
      $("lot-shelf").textContent = shelf;
      $("put-on-shelf").hidden = true;
      status.textContent = fill(this.T.putDone, { lot: lot.code, shelf });
      await this.shelf(working);  // the shelf's list now holds it
    } catch (e) {
      status.textContent = this.T.putOffline;
    }
  }
}
