// Returns (回收) on the scanning page. With 回收 switched on, the keeper chooses the incident (those with durable
// equipment still out) and the site the equipment comes back from, then scans the label of each lot: the lot is
// filled in, the quantity defaults to what is still out of that item at that site, the receiving depot is the
// working depot (or the keeper's only depot); the return goes through the outbox to
// POST /api/v1/incidents/<id>/returns. The returns awaiting inspection at the keeper's depots are listed, each with
// its inspection (restocked / damaged with the reason), which goes through the outbox to
// POST /api/v1/returns/<id>/inspect. Both work offline and reach the server once (their own Idempotency-Key).
//
// What is still out and what awaits inspection come from GET /api/v1/returns/worklist when online and are kept on
// the phone (meta "returns", with the time fetched); the returns waiting in the outbox are taken off what is shown
// as still out. Refusals the server sends back show as 服务器未接受 with its message in the page's language.
import { getJSON } from "./scan-lots.js";

const $ = (id) => document.getElementById(id);
const esc = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export class Returns {
  // T: the page's strings (T.r: this module's); detail(error): a message code in the page's language;
  // say(title, detail) / confirm(text): the page's message boxes; working(): the working depot's code or "";
  // units: English unit names on an English page; before(): the page hides the lot card and the order
  constructor({ store, outbox, urls, token, config, T, fill, when, detail, say, confirm, working, units, before }) {
    Object.assign(this, { store, outbox, urls, token, config, T, R: T.r, fill, when, detail, say, confirm, working, units, before });
    this.kept = null;      // {incidents, awaiting, asOf, fresh}
    this.choice = {};      // {incident, site}
    this.receiving = null; // {lot, row} of the lot scanned
    $("returns-mode").addEventListener("change", () => this.toggle());
    $("returns-incident").addEventListener("change", () => this.choose({ incident: Number($("returns-incident").value), site: "" }));
    $("returns-site").addEventListener("change", () => this.choose({ ...this.choice, site: $("returns-site").value }));
    $("returns-form").addEventListener("submit", (e) => this.submit(e));
    $("returns-cancel").addEventListener("click", () => this.closeForm());
    $("returns-awaiting-list").addEventListener("submit", (e) => this.inspect(e));
  }

  unit(u) { return this.units[u] || u || ""; }

  itemName(row) {
    return document.documentElement.lang === "en" ? row.item_name_en || row.item_name : row.item_name;
  }

  on() { return $("returns-mode").checked; }

  // A lot scanned goes to the return being received while the mode is on.
  takesLots() { return this.on(); }

  async start() {
    this.kept = (await this.store.meta("returns")) || null;
    this.choice = (await this.store.meta("returnsChoice")) || {};
    $("returns-mode").checked = Boolean(await this.store.meta("returnsMode"));
    await this.paint();
  }

  async toggle() {
    await this.store.setMeta("returnsMode", this.on());
    if (this.on()) this.before();
    this.closeForm();
    await this.paint();
    if (this.on()) $("returns").scrollIntoView({ block: "start" });
  }

  // ------------------------------------------------------------ keeping the worklist on the phone

  async refresh() {
    const answer = await getJSON(this.urls.returnsWorklist, await this.token());
    if (answer.status !== 200) throw new Error(`returns: HTTP ${answer.status}`);
    this.kept = { ...answer.body, asOf: new Date().toISOString() };
    await this.store.setMeta("returns", this.kept);
    this.kept.fresh = true;
    await this.paint();
  }

  async choose(choice) {
    this.choice = choice;
    await this.store.setMeta("returnsChoice", choice);
    this.closeForm();
    await this.paint();
  }

  // The returns and inspections still waiting on this phone.
  async waiting() {
    return (await this.outbox.items()).filter((i) => i.returns && i.state === "waiting");
  }

  // The incident's rows with what waits on this phone taken off what is still out.
  async rows(incident) {
    const waiting = await this.waiting();
    return incident.rows.map((r) => {
      const queued = waiting.filter((i) => i.op.kind === "return_receive" && i.op.incident === incident.incident
        && i.op.site === r.site && i.op.item === r.item).reduce((n, i) => n + i.op.quantity, 0);
      return { ...r, still_out: r.still_out - queued };
    });
  }

  incident() {
    return this.kept && this.kept.incidents.find((i) => i.incident === this.choice.incident);
  }

  // ------------------------------------------------------------ painting

  async paint() {
    const on = this.on();
    $("returns").hidden = !on;
    if (!on) return;
    const R = this.R;
    const incidents = this.kept ? this.kept.incidents : [];
    $("returns-asof").textContent = this.kept
      ? this.fill(this.kept.fresh ? this.T.asOf : this.T.fromPhone, { time: this.when(this.kept.asOf) }) : R.noneKept;
    $("returns-none").hidden = !this.kept || incidents.length > 0;
    $("returns-choice").hidden = incidents.length === 0;
    if (!this.incident() && incidents.length) this.choice = { incident: incidents[0].incident, site: "" };
    $("returns-incident").replaceChildren(...incidents.map((i) => new Option(
      this.fill(R.incidentOption, { title: i.title, out: i.still_out }), String(i.incident))));
    const incident = this.incident();
    if (incident) $("returns-incident").value = String(incident.incident);
    const rows = incident ? await this.rows(incident) : [];
    // the sites with something still out (and the one chosen, until another is)
    const sites = [...new Map(rows.filter((r) => r.still_out > 0 || r.site === this.choice.site).map((r) => [r.site, r])).values()];
    $("returns-site").replaceChildren(new Option(R.chooseSite, ""),
      ...sites.map((r) => new Option(`${r.site_name} ${r.site}`, r.site)));
    if (!sites.some((r) => r.site === this.choice.site)) this.choice.site = "";
    $("returns-site").value = this.choice.site || "";
    const here = rows.filter((r) => r.site === this.choice.site);
    $("returns-out").innerHTML = here.map((r) => `<li class="${r.still_out > 0 ? "" : "done"}" data-item="${esc(r.item)}">
      <strong>${esc(this.itemName(r))}</strong> <span class="code">${esc(r.item)}</span>
      <span class="returns-left">${esc(this.fill(R.stillOut, { out: r.still_out, unit: this.unit(r.unit) }))}</span>
      <span class="muted">${esc(this.fill(R.lots, { lots: r.lots.join(", ") }))}</span></li>`).join("");
    $("returns-what").textContent = this.choice.site ? R.scanNow : R.what;
    await this.paintAwaiting();
  }

  async paintAwaiting() {
    const R = this.R;
    const waiting = await this.waiting();
    const inspecting = new Set(waiting.filter((i) => i.op.kind === "return_inspect").map((i) => i.op.return));
    const server = (this.kept ? this.kept.awaiting : []).map((r) => ({ ...r, inspecting: inspecting.has(r.id) }));
    const siteName = (code) => ((this.kept ? this.kept.incidents : []).flatMap((i) => i.rows).find((r) => r.site === code) || { site_name: code }).site_name;
    const depotName = (code) => (this.config.depots.find((d) => d.code === code) || { name: code }).name;
    const queued = waiting.filter((i) => i.op.kind === "return_receive").map((i) => ({
      reference: "", item_name: i.item, item_name_en: i.item, quantity: i.op.quantity, unit: i.unit,
      site_name: siteName(i.op.site), depot_name: depotName(i.op.depot), lot: i.op.lot, queued: true }));
    const all = [...server, ...queued];
    $("returns-awaiting-count").textContent = String(all.length);
    $("returns-awaiting-empty").hidden = all.length > 0;
    $("returns-awaiting-list").innerHTML = all.map((r) => {
      const line = this.fill(R.awaitingRow, { reference: r.reference, item: this.itemName(r), quantity: r.quantity,
        unit: this.unit(r.unit), site: r.site_name, depot: r.depot_name, lot: r.lot }).replace(/^\s*·\s*/, "");  // no HS- yet
      const state = r.queued ? this.T.waiting : r.inspecting ? R.inspectionWaiting : "";
      const form = r.queued || r.inspecting ? "" : `<form class="returns-inspect" data-return="${r.id}" data-reference="${esc(r.reference)}"
        data-quantity="${r.quantity}" data-unit="${esc(r.unit)}" novalidate>
        <label>${esc(R.restocked)} <input type="number" inputmode="numeric" min="0" step="1" name="restocked" value="${r.quantity}"></label>
        <label>${esc(R.damaged)} <input type="number" inputmode="numeric" min="0" step="1" name="damaged" value="0"></label>
        <label class="reason">${esc(R.damageReason)} <input type="text" name="damage_reason" maxlength="200"></label>
        <p class="field-error" role="alert" hidden></p>
        <button type="submit" class="button primary">${esc(R.inspect)}</button></form>`;
      return `<li class="returns-awaiting-row" data-reference="${esc(r.reference)}"><p>${state ? `<span class="badge">${esc(state)}</span> ` : ""}${esc(line)}</p>${form}</li>`;
    }).join("");
  }

  // ------------------------------------------------------------ receiving a return by scan

  async scanLot(code) {
    this.before();
    const R = this.R;
    const incident = this.incident();
    if (!incident || !this.choice.site) return this.say(R.chooseFirst);
    const site = this.choice.site;
    const rows = (await this.rows(incident)).filter((r) => r.site === site);
    // the lot the orders shipped from, or the village point's own lot <lot>-<site>
    const origin = code.endsWith(`-${site}`) ? code.slice(0, -(site.length + 1)) : code;
    const row = rows.find((r) => r.lots.includes(code) || r.lots.includes(origin));
    this.receiving = { lot: code, row };
    const depots = this.config.depots.filter((d) => d.code !== site);
    const working = this.working();
    const into = depots.some((d) => d.code === working) ? working : depots.length === 1 ? depots[0].code : "";
    $("returns-depot").replaceChildren(new Option(R.chooseDepot, ""), ...depots.map((d) => new Option(`${d.name} ${d.code}`, d.code)));
    $("returns-depot").value = into;
    $("returns-form-title").textContent = row ? `${code} · ${this.itemName(row)}` : code;
    $("returns-lot").value = code;
    $("returns-quantity").value = row && row.still_out > 0 ? String(row.still_out) : "";
    $("returns-note").value = "";
    $("returns-warning").textContent = row ? "" : this.fill(R.notOnList, { lot: code, site });
    $("returns-warning").hidden = Boolean(row);
    $("returns-error").hidden = true;
    $("returns-form").hidden = false;
    $("returns-quantity").focus();
  }

  closeForm() {
    this.receiving = null;
    $("returns-form").hidden = true;
  }

  error(text) {
    $("returns-error").textContent = text;
    $("returns-error").hidden = false;
  }

  async submit(event) {
    event.preventDefault();
    if (!this.receiving) return;
    const incident = this.incident();
    const site = this.choice.site;
    const { row } = this.receiving;
    const lot = $("returns-lot").value.trim();
    const raw = $("returns-quantity").value.trim();
    const quantity = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!lot) return this.error(this.R.lotNeeded);
    if (!(quantity >= 1)) return this.error(this.T.wholeNumber);
    if (row && quantity > row.still_out) {
      return this.error(this.detail({ message_code: "return_more_than_out",
        params: { quantity, item: row.item, site, still_out: row.still_out } }));
    }
    const depot = $("returns-depot").value;
    if (!depot) return this.error(this.R.chooseDepot);
    const note = $("returns-note").value.trim() || null;
    const body = { site, lot, quantity, depot, note };
    await this.outbox.add({ kind: "return_receive", incident: incident.incident, site, lot, quantity, depot, item: row ? row.item : null },
      { returns: { incident: incident.incident }, item: row ? this.itemName(row) : lot, unit: row ? row.unit : "",
        send: { url: `${this.urls.incidents}${incident.incident}/returns`, body } });
    this.closeForm();
    this.confirm(this.fill(this.R.queued, { lot, quantity, unit: this.unit(row ? row.unit : "") }));
    await this.paint();
  }

  // ------------------------------------------------------------ inspecting

  async inspect(event) {
    event.preventDefault();
    const form = event.target.closest("form.returns-inspect");
    if (!form) return;
    const err = form.querySelector(".field-error");
    const fail = (text) => { err.textContent = text; err.hidden = false; };
    const numbers = {};
    for (const name of ["restocked", "damaged"]) {
      const raw = form.querySelector(`[name="${name}"]`).value.trim() || "0";
      if (!/^\d+$/.test(raw)) return fail(this.T.countNumber);
      numbers[name] = Number(raw);
    }
    const reference = form.dataset.reference;
    const quantity = Number(form.dataset.quantity);
    if (numbers.restocked + numbers.damaged !== quantity) {
      return fail(this.detail({ message_code: "inspection_must_cover_return",
        params: { reference, quantity, restocked: numbers.restocked, damaged: numbers.damaged } }));
    }
    const reason = form.querySelector('[name="damage_reason"]').value.trim();
    if (numbers.damaged && !reason) return fail(this.T.o.damageReasonNeeded);
    const id = Number(form.dataset.return);
    const body = { ...numbers, damage_reason: numbers.damaged ? reason : null };
    await this.outbox.add({ kind: "return_inspect", return: id, reference, ...body },
      { returns: { reference }, unit: form.dataset.unit, send: { url: `${this.urls.returns}${id}/inspect`, body } });
    this.confirm(this.fill(this.R.inspectQueued, { reference }));
    await this.paint();
  }

  // ------------------------------------------------------------ the outbox's word

  describe(item) {
    const op = item.op;
    const R = this.R;
    const u = this.unit(item.unit);
    if (op.kind === "return_inspect") return this.fill(R.opInspect, { reference: op.reference, restocked: op.restocked, damaged: op.damaged });
    // a lot not on the kept list has no known unit: no stray spaces where it would be
    return this.fill(R.opReceive, { lot: op.lot, quantity: op.quantity, unit: u, site: op.site, depot: op.depot })
      .replace(/ {2,}/g, " ").replace(/ ([：:])/g, "$1");
  }

  // The server's answer is the return: the kept worklist follows (no longer out; awaiting inspection, or not).
  async sent(item) {
    const r = item.result || {};
    if (this.kept && r.id) {
      this.kept.awaiting = this.kept.awaiting.filter((a) => a.id !== r.id);
      if (r.status === "awaiting_inspection" && this.config.depots.some((d) => d.code === r.depot)) this.kept.awaiting.push(r);
      if (item.op.kind === "return_receive" && !r.replayed) {
        const incident = this.kept.incidents.find((i) => i.incident === r.incident);
        const row = incident && incident.rows.find((x) => x.site === r.site && x.item === r.item);
        if (row) {
          row.returned += r.quantity;
          row.still_out -= r.quantity;
          incident.still_out -= r.quantity;
        }
      }
      await this.store.setMeta("returns", this.kept);
    }
    this.confirm(this.result(item));
    await this.paint();
  }

  // What the server did, said in the page's language.
  result(item) {
    const r = item.result || {};
    return item.op.kind === "return_inspect"
      ? this.fill(this.R.inspected, { reference: r.reference, restocked: r.restocked, damaged: r.damaged })
      : this.fill(this.R.received, { reference: r.reference, quantity: r.quantity, unit: this.unit(r.unit), item: this.itemName(r), depot: `${r.depot_name} ${r.depot}` });
  }

  async rejected() {
    try {
      await this.refresh();  // what is out and awaiting as the server has it now
    } catch (e) {
      await this.paint();
    }
  }
}
