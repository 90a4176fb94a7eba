// Transfer orders (调拨单) on the scanning page. Scanning an order's label (/o/<code>) opens it here: at its source
// depot the keeper scans each lot of the pick list to pick it, then ships; at its destination depot the keeper
// confirms per line what arrived, short or damaged; at a shelter the dispatcher or a source keeper confirms the
// delivery with the receiver's name. Every action goes through the outbox (its own Idempotency-Key, kept on the
// phone first, sent once when online) to the orders API (orders/api.py); its answer is the whole order, kept.
//
// A keeper's open orders are kept on the phone (store "orders", with the time they were fetched), so an order
// label scanned offline opens as kept, "as of" then, with the actions still waiting applied on top.
import { getJSON } from "./scan-lots.js";

const $ = (id) => document.getElementById(id);
const OPEN = ["approved", "picking", "shipped", "partly_received"];
const esc = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export class Orders {
  // T: the page's strings (T.o: this module's); detail(error): the server's message in the page's language;
  // say(title, detail) / confirm(text): the page's message boxes; lot(code): a lot from the server or the phone;
  // units: English unit names on an English page; before(): the page hides the lot card
  constructor({ store, outbox, urls, token, config, T, fill, day, when, detail, say, confirm, lot, units, before }) {
    Object.assign(this, { store, outbox, urls, token, config, T, O: T.o, fill, day, when, detail, say, confirm, lot, units, before });
    this.current = null;  // {order, fresh}
    this.picking = null;  // the lot being picked: {lot, line}
    $("order-close").addEventListener("click", () => this.close());
    $("order-pick-form").addEventListener("submit", (e) => this.submitPick(e));
    $("order-pick-cancel").addEventListener("click", () => this.closePick());
    $("order-pick-quantity").addEventListener("input", () => this.pickHint());
    $("order-ship").addEventListener("click", () => this.ship());
    $("order-receive-form").addEventListener("submit", (e) => this.submitReceipt(e));
    $("order-open-list").addEventListener("click", (e) => {
      const code = e.target.closest("[data-order]")?.dataset.order;
      if (code) this.open(code);
    });
  }

  unit(u) { return this.units[u] || u || ""; }

  itemName(line) {
    return document.documentElement.lang === "en" ? line.item_name_en || line.item_name : line.item_name;
  }

  // ------------------------------------------------------------ keeping orders on the phone

  // The open orders of the user's depots, fetched whole and kept; orders no longer open are let go.
  async refresh() {
    const token = await this.token();
    const list = await getJSON(this.urls.orders, token);
    if (list.status !== 200) throw new Error(`orders: HTTP ${list.status}`);
    const asOf = new Date().toISOString();
    const open = list.body.filter((o) => OPEN.includes(o.state));
    const kept = [];
    for (const summary of open) {
      const one = await getJSON(this.urls.orders + "/" + encodeURIComponent(summary.code), token);
      if (one.status === 200) kept.push({ ...one.body, asOf });
    }
    const codes = new Set(kept.map((o) => o.code));
    for (const old of await this.store.all("orders")) if (!codes.has(old.code)) await this.store.delete("orders", old.code);
    await this.store.putMany("orders", kept);
    await this.store.setMeta("ordersAsOf", asOf);
    await this.paintList();
    return kept.length;
  }

  async paintList() {
    const orders = (await this.store.all("orders")).filter((o) => OPEN.includes(o.state)).sort((a, b) => a.code.localeCompare(b.code, "en", { numeric: true }));
    $("order-open").hidden = orders.length === 0;
    $("order-open-count").textContent = String(orders.length);
    $("order-open-list").innerHTML = orders.map((o) => `<li><button type="button" class="button order-open-button" data-order="${esc(o.code)}">
      <span class="code">${esc(o.code)}</span> <span class="badge order-state-${esc(o.state)}">${esc(this.O.states[o.state] || o.state)}</span>
      <span class="order-route">${esc(o.source_name)} → ${esc(o.destination_name)}</span>
      <span class="muted">${esc(this.part(o))}</span></button></li>`).join("");
  }

  // ------------------------------------------------------------ opening an order

  async open(code) {
    this.before();
    let answer;
    try {
      answer = await getJSON(this.urls.orders + "/" + encodeURIComponent(code), await this.token());
    } catch (e) {
      answer = null;  // offline
    }
    if (answer && answer.status === 200) {
      const order = { ...answer.body, asOf: new Date().toISOString() };
      if (OPEN.includes(order.state)) await this.store.put("orders", order);
      else await this.store.delete("orders", order.code);
      return this.show(order, true);
    }
    if (answer && answer.status !== 401 && answer.status < 500) {
      this.hide();
      const error = answer.body && answer.body.error;
      return this.say(answer.status === 404 ? this.fill(this.O.unknown, { code }) : this.O.notYours, this.detail(error));
    }
    const kept = await this.store.get("orders", code);
    if (kept) return this.show(kept, false);
    this.hide();
    return this.say(this.fill(this.O.offlineUnknown, { code }));
  }

  async show(order, fresh) {
    this.current = { order, fresh };
    this.closePick();
    $("order").hidden = false;
    await this.paint();
    $("order").scrollIntoView({ block: "start" });
  }

  hide() {
    this.current = null;
    this.picking = null;
    $("order").hidden = true;
  }

  close() {
    this.hide();
    this.confirm("");
  }

  // What this user does with the order now: pick (and ship), receive, deliver, or only read it.
  mode(order) {
    const kept = (code) => this.config.depots.some((d) => d.code === code);
    const doer = this.config.canChange;
    if (["approved", "picking"].includes(order.state) && doer && kept(order.source)) return "pick";
    if (!["shipped", "partly_received"].includes(order.state)) return "read";
    if (order.destination_kind === "depot") return doer && kept(order.destination) ? "receive" : "read";
    return ["dispatcher", "admin"].includes(this.config.role) || (doer && kept(order.source)) ? "deliver" : "read";
  }

  part(order) {
    const mode = this.mode(order);
    return mode === "read" ? "" : this.O.parts[mode];
  }

  // Lines as the server last said, with the actions still waiting on this phone applied on top.
  async provisional(order) {
    const waiting = (await this.outbox.items()).filter((i) => i.order === order.code && i.state === "waiting");
    const lines = order.lines.map((l) => ({ ...l, pickedLots: {} }));
    const byItem = Object.fromEntries(lines.map((l) => [l.item, l]));
    for (const p of order.picks) if (byItem[p.item]) byItem[p.item].pickedLots[p.lot] = (byItem[p.item].pickedLots[p.lot] || 0) + p.quantity;
    let state = order.state;
    const undone = new Set();
    for (const item of waiting) {
      const op = item.op;
      const line = byItem[op.item];
      if (op.kind === "order_pick" && line) {
        line.picked += op.quantity;
        line.pickedLots[op.lot] = (line.pickedLots[op.lot] || 0) + op.quantity;
        if (state === "approved") state = "picking";
      } else if (op.kind === "order_unpick" && line) {
        line.picked -= op.quantity;
        line.pickedLots[op.lot] = (line.pickedLots[op.lot] || 0) - op.quantity;
        undone.add(op.pick);
      } else if (op.kind === "order_ship") {
        state = "shipped";
        for (const l of lines) Object.assign(l, { shipped: l.picked, in_transit: l.picked - l.received - l.short - l.damaged });
      } else if (["order_receive", "order_deliver"].includes(op.kind)) {
        for (const r of op.lines) {
          const l = byItem[r.item];
          if (!l) continue;
          Object.assign(l, { received: l.received + r.received, short: l.short + r.short, damaged: l.damaged + r.damaged });
          l.in_transit = l.shipped - l.received - l.short - l.damaged;
        }
        state = lines.every((l) => l.in_transit <= 0) ? "received" : "partly_received";
      }
    }
    return { lines, state, waiting: waiting.length, picks: order.picks.filter((p) => !undone.has(p.id)) };
  }

  // ------------------------------------------------------------ painting the order

  async paint() {
    if (!this.current) return;
    const { order, fresh } = this.current;
    const view = await this.provisional(order);
    const mode = this.mode({ ...order, state: view.state });
    const O = this.O;
    $("order-code").textContent = order.code;
    $("order-state").textContent = O.states[view.state] || view.state;
    $("order-state").className = `badge order-state-${view.state}`;
    $("order-route").textContent = `${order.source_name} ${order.source} → ${order.destination_name} ${order.destination}`;
    const notes = [];
    if (view.waiting) notes.push(this.fill(O.provisional, { count: view.waiting }));
    notes.push(this.fill(fresh ? this.T.asOf : this.T.fromPhone, { time: this.when(order.asOf) }));
    $("order-asof").textContent = notes.join(" ");
    $("order-what").textContent = mode === "read" ? this.readOnlyWhy(order, view.state) : O.what[mode];
    $("order-what").className = mode === "read" ? "order-what readonly" : "order-what";
    $("order-lines").innerHTML = view.lines.map((l) => this.lineHtml(l, mode)).join("");
    this.paintPicks(view, mode);
    const all = view.lines.every((l) => l.picked >= l.planned);
    const some = view.lines.some((l) => l.picked > 0);
    $("order-ship-row").hidden = mode !== "pick";
    $("order-ship").disabled = !some;
    $("order-ship-note").textContent = !some ? O.pickFirst : all ? O.allPicked : O.notAllPicked;
    this.paintReceipt(view, mode);
    $("order-page-link").href = this.urls.orderPage + encodeURIComponent(order.code);
  }

  readOnlyWhy(order, state) {
    const O = this.O;
    if (state === "cancelled") return this.fill(O.cancelled, { reason: order.cancel_reason || "" });
    if (state === "received") return O.done;
    if (["approved", "picking"].includes(state)) return this.fill(O.waitShip, { depot: `${order.source_name} ${order.source}` });
    return this.fill(O.waitReceive, { site: `${order.destination_name} ${order.destination}` });
  }

  lineHtml(l, mode) {
    const O = this.O;
    const lots = mode === "pick" ? `<ol class="order-pick-list">${l.planned_lots.map((p) => {
      const taken = l.pickedLots[p.lot] || 0;
      const where = p.shelf ? this.fill(this.T.shelf, { shelf: p.shelf }) : this.T.noShelf;
      const expiry = p.expires_on ? this.fill(this.T.expires, { date: this.day(p.expires_on) }) : this.T.noExpiry;
      return `<li class="${taken >= p.quantity ? "done" : ""}" data-lot="${esc(p.lot)}"><span class="code">${esc(p.lot)}</span>
        <strong>${esc(where)}</strong> · ${esc(expiry)} · ${esc(this.fill(O.lotPicked, { picked: taken, planned: p.quantity, unit: this.unit(l.unit) }))}</li>`;
    }).join("")}</ol>` : "";
    const numbers = mode === "pick" ? this.fill(O.linePicked, { picked: l.picked, planned: l.planned, unit: this.unit(l.unit) })
      : this.fill(O.lineShipped, { shipped: l.shipped, received: l.received, short: l.short + l.damaged, transit: l.in_transit, unit: this.unit(l.unit) });
    return `<li class="order-line" data-item="${esc(l.item)}"><p><strong>${esc(this.itemName(l))}</strong> <span class="code">${esc(l.item)}</span>
      <span class="order-line-numbers">${esc(numbers)}</span></p>${lots}</li>`;
  }

  paintPicks(view, mode) {
    const O = this.O;
    const rows = view.picks.filter((p) => !p.shipped);
    $("order-picks").hidden = mode !== "pick" || rows.length === 0;
    $("order-picks-list").replaceChildren(...rows.map((p) => {
      const li = document.createElement("li");
      li.textContent = `${p.lot} · ${p.quantity} · ${p.item}${p.substitute_reason ? ` · ${O.substitute}: ${p.substitute_reason}` : ""} `;
      const undo = Object.assign(document.createElement("button"), { type: "button", className: "button", textContent: O.undo });
      undo.addEventListener("click", () => this.unpick(p));
      li.append(undo);
      return li;
    }));
  }

  paintReceipt(view, mode) {
    const O = this.O;
    const form = $("order-receive-form");
    form.hidden = !["receive", "deliver"].includes(mode);
    if (form.hidden) return;
    $("order-receive-title").textContent = mode === "deliver" ? O.deliverTitle : O.receiveTitle;
    $("order-receiver-row").hidden = mode !== "deliver";
    $("order-receive-submit").textContent = mode === "deliver" ? O.deliverSubmit : O.receiveSubmit;
    $("order-receive-error").hidden = true;
    const open = view.lines.filter((l) => l.in_transit > 0);
    $("order-receive-lines").innerHTML = open.map((l) => `<fieldset class="receipt-line" data-item="${esc(l.item)}" data-transit="${l.in_transit}">
      <legend>${esc(this.itemName(l))} <span class="code">${esc(l.item)}</span> · ${esc(this.fill(O.inTransit, { quantity: l.in_transit, unit: this.unit(l.unit) }))}</legend>
      <label>${esc(O.received)} <input type="number" inputmode="numeric" min="0" step="1" name="received" value="${l.in_transit}"></label>
      <label>${esc(O.short)} <input type="number" inputmode="numeric" min="0" step="1" name="short" value="0"></label>
      <label class="reason">${esc(O.shortReason)} <input type="text" name="short_reason" maxlength="200"></label>
      <label>${esc(O.damaged)} <input type="number" inputmode="numeric" min="0" step="1" name="damaged" value="0"></label>
      <label class="reason">${esc(O.damageReason)} <input type="text" name="damage_reason" maxlength="200"></label>
    </fieldset>`).join("");
  }

  // ------------------------------------------------------------ picking

  takesLots() {
    return Boolean(this.current && this.mode(this.current.order) === "pick");
  }

  // A lot scanned while an order is open to pick: the pick form, with what the pick list says of it.
  async scanLot(code) {
    const found = await this.lot(code);
    if (!found.lot) {
      if (found.status === 404) return this.say(this.fill(this.T.unknownLot, { code }), this.T.unknownHint);
      if (found.status === 403) return this.say(this.O.refused, this.fill(this.O.lotNotHere, { lot: code, source: this.current.order.source }));
      return this.say(this.fill(this.T.offlineUnknown, { code }));
    }
    const lot = found.lot;
    const order = this.current.order;
    const view = await this.provisional(order);
    const line = view.lines.find((l) => l.item === lot.item);
    const m = this.T.messages;
    const fillPy = (t, p) => t.replace(/%\((\w+)\)s/g, (x, k) => (k in p ? p[k] : x));
    if (lot.depot !== order.source) {
      return this.say(this.O.refused, fillPy(m.pick_wrong_depot, { lot: lot.code, depot: lot.depot, order: order.code, source: order.source }));
    }
    if (!line) {
      return this.say(this.O.refused, fillPy(m.pick_item_not_on_order, { order: order.code, item: lot.item, lot: lot.code }));
    }
    const planned = line.planned_lots.find((p) => p.lot === lot.code);
    const left = line.planned - line.picked;
    const lotLeft = planned ? planned.quantity - (line.pickedLots[lot.code] || 0) : 0;
    if (left <= 0) {
      return this.say(this.O.refused, fillPy(m.pick_more_than_planned, { order: order.code, item: lot.item, planned: line.planned, picked: line.picked, quantity: 1 }));
    }
    this.picking = { lot, line, left, lotLeft, planned };
    $("order-pick-title").textContent = `${this.O.pickTitle} · ${lot.code} · ${this.itemName(line)}`;
    $("order-pick-quantity").value = String(lotLeft > 0 ? Math.min(left, lotLeft) : left);
    $("order-pick-reason").value = "";
    $("order-pick-error").hidden = true;
    $("order-pick-form").hidden = false;
    this.pickHint();
    $("order-pick-quantity").focus();
  }

  // The warning beside the quantity: another lot than the pick list names, or more of it than planned, needs a
  // reason; less than planned is said.
  pickHint() {
    if (!this.picking) return;
    const { lot, line, lotLeft, planned } = this.picking;
    const n = Number($("order-pick-quantity").value);
    const O = this.O;
    const u = this.unit(line.unit);
    let warning = "";
    if (!planned) warning = this.fill(O.notOnList, { lot: lot.code, planned: line.planned_lots.map((p) => p.lot).join(", ") || "—" });
    else if (n > lotLeft) warning = this.fill(O.moreThanLot, { lot: lot.code, quantity: lotLeft, unit: u });
    else if (n < lotLeft) warning = this.fill(O.lessThanLot, { lot: lot.code, quantity: lotLeft, unit: u });
    $("order-pick-warning").textContent = warning;
    $("order-pick-warning").hidden = !warning;
    $("order-pick-reason-row").hidden = !(!planned || n > lotLeft);
  }

  closePick() {
    this.picking = null;
    $("order-pick-form").hidden = true;
  }

  pickError(text) {
    $("order-pick-error").textContent = text;
    $("order-pick-error").hidden = false;
  }

  async submitPick(event) {
    event.preventDefault();
    if (!this.picking) return;
    const { lot, line, left, lotLeft, planned } = this.picking;
    const raw = $("order-pick-quantity").value.trim();
    const quantity = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(quantity >= 1)) return this.pickError(this.T.wholeNumber);
    if (quantity > left) return this.pickError(this.fill(this.O.moreThanLine, { quantity: left, unit: this.unit(line.unit) }));
    const reason = $("order-pick-reason").value.trim();
    if ((!planned || quantity > lotLeft) && !reason) return this.pickError(this.O.reasonNeeded);
    const code = this.current.order.code;
    const body = { lot: lot.code, quantity, reason: reason || null };
    await this.outbox.add({ kind: "order_pick", order: code, item: line.item, lot: lot.code, quantity },
      { order: code, item: this.itemName(line), unit: line.unit, send: { url: `${this.urls.orders}/${encodeURIComponent(code)}/picks`, body } });
    this.closePick();
    this.confirm(this.fill(this.O.pickQueued, { lot: lot.code, quantity, unit: this.unit(line.unit) }));
    await this.paint();
  }

  async unpick(pick) {
    const code = this.current.order.code;
    await this.outbox.add({ kind: "order_unpick", order: code, item: pick.item, lot: pick.lot, quantity: pick.quantity, pick: pick.id },
      { order: code, item: pick.item, send: { method: "DELETE", url: `${this.urls.orders}/${encodeURIComponent(code)}/picks/${pick.id}`, body: {} } });
    await this.paint();
  }

  async ship() {
    const order = this.current.order;
    await this.outbox.add({ kind: "order_ship", order: order.code },
      { order: order.code, send: { url: `${this.urls.orders}/${encodeURIComponent(order.code)}/ship`, body: {} } });
    this.confirm(this.fill(this.O.shipQueued, { order: order.code }));
    await this.paint();
  }

  // ------------------------------------------------------------ receiving and delivering

  receiptError(text) {
    $("order-receive-error").textContent = text;
    $("order-receive-error").hidden = false;
  }

  async submitReceipt(event) {
    event.preventDefault();
    const order = this.current.order;
    const deliver = this.mode(order) === "deliver";
    const O = this.O;
    const lines = [];
    for (const box of $("order-receive-lines").querySelectorAll(".receipt-line")) {
      const value = (name) => box.querySelector(`[name="${name}"]`).value.trim();
      const numbers = {};
      for (const name of ["received", "short", "damaged"]) {
        const raw = value(name) || "0";
        if (!/^\d+$/.test(raw)) return this.receiptError(this.T.countNumber);
        numbers[name] = Number(raw);
      }
      const total = numbers.received + numbers.short + numbers.damaged;
      if (total === 0) continue;
      const transit = Number(box.dataset.transit);
      if (total > transit) return this.receiptError(this.fill(O.moreThanTransit, { item: box.dataset.item, quantity: total, transit }));
      const line = { item: box.dataset.item, ...numbers };
      if (numbers.short) {
        if (!value("short_reason")) return this.receiptError(O.shortReasonNeeded);
        line.short_reason = value("short_reason");
      }
      if (numbers.damaged) {
        if (!value("damage_reason")) return this.receiptError(O.damageReasonNeeded);
        line.damage_reason = value("damage_reason");
      }
      lines.push(line);
    }
    if (!lines.length) return this.receiptError(O.nothingRecorded);
    const body = { lines };
    if (deliver) {
      body.receiver_name = $("order-receiver").value.trim();
      if (!body.receiver_name) return this.receiptError(O.receiverNeeded);
    }
    const kind = deliver ? "order_deliver" : "order_receive";
    await this.outbox.add({ kind, order: order.code, lines },
      { order: order.code, send: { url: `${this.urls.orders}/${encodeURIComponent(order.code)}/${deliver ? "deliver" : "receive"}`, body } });
    this.confirm(this.fill(deliver ? O.deliverQueued : O.receiveQueued, { order: order.code }));
    await this.paint();
  }

  // ------------------------------------------------------------ the outbox's word

  describe(item) {
    const op = item.op;
    const O = this.O;
    const u = this.unit(item.unit);
    const what = {
      order_pick: () => this.fill(O.opPick, { lot: op.lot, quantity: op.quantity, unit: u }),
      order_unpick: () => this.fill(O.opUnpick, { lot: op.lot, quantity: op.quantity }),
      order_ship: () => O.opShip,
      order_receive: () => O.opReceive,
      order_deliver: () => O.opDeliver,
    }[op.kind];
    return `${op.order} · ${what ? what() : op.kind}`;
  }

  // The server's answer to an order's action is the order itself: kept, shown; a pick's warnings are said.
  async sent(item) {
    const result = item.result || {};
    if (result.code) {
      const order = { ...result, asOf: new Date().toISOString() };
      if (OPEN.includes(order.state)) await this.store.put("orders", order);
      else await this.store.delete("orders", order.code);
      if (this.current && this.current.order.code === order.code) this.current = { order, fresh: true };
    }
    const warnings = (result.warnings || []).map((w) => this.detail({ message_code: w.code, params: w.params, message: w.message }));
    const done = {
      order_pick: this.O.picked, order_unpick: this.O.unpicked, order_ship: this.O.shipped,
      order_receive: this.O.receivedDone, order_deliver: this.O.delivered,
    }[item.op.kind];
    this.confirm([this.fill(done || "", { order: item.op.order, lot: item.op.lot, quantity: item.op.quantity, unit: this.unit(item.unit) }), ...warnings].join(" "));
    if (warnings.length) $("confirmation").classList.add("with-warning");
    else $("confirmation").classList.remove("with-warning");
    await this.paint();
    await this.paintList();
  }

  // A refusal: the order as the server has it now, when it answers.
  async rejected(item) {
    if (this.current && this.current.order.code === item.op.order) {
      try {
        const answer = await getJSON(this.urls.orders + "/" + encodeURIComponent(item.op.order), await this.token());
        if (answer.status === 200) this.current = { order: { ...answer.body, asOf: new Date().toISOString() }, fresh: true };
      } catch (e) { /* offline */ }
      await this.paint();
    }
  }
}
