// Count sessions (盘点单) on the scanning page. When the depot in view (the scanned lot's, else the working
// depot) has an open count session, the page shows it with its progress, and a count of one of its lots is
// recorded into the session (POST /api/v1/counts/<id>/lines) through the outbox, like every other action:
// kept on the phone first, sent with its own Idempotency-Key, nothing reaches the ledger before the close.
// A session is kept on the phone (meta "count:<depot>") so that counting goes on offline.

import { getJSON } from "./scan-lots.js";

const FRESH_MS = 30000;  // a session seen this recently is not asked for again on each scan

export class Counts {
  // el: {box, title, progress, link}; T: the page's strings; fill(text, values)
  constructor({ store, urls, token, el, T, fill }) {
    Object.assign(this, { store, urls, token, el, T, fill });
    this.shown = null;  // the session on display
  }

  // The open session of a depot: from the server when it answers (or as kept, if seen a moment ago),
  // else as kept on the phone; null when there is none.
  async forDepot(depot, { fresh = false } = {}) {
    if (!depot) return null;
    const kept = await this.store.meta(`count:${depot}`);  // null: none was open when last asked
    if (!fresh && kept && Date.now() - Date.parse(kept.asOf) < FRESH_MS) return kept;
    const token = await this.token();
    try {
      const list = await getJSON(`${this.urls.counts}?status=open&depot=${encodeURIComponent(depot)}`, token);
      if (list.status !== 200) return kept || null;  // not readable, logged out, server trouble: as kept
      if (!list.body.length) {
        await this.store.setMeta(`count:${depot}`, null);
        return null;
      }
      const one = await getJSON(`${this.urls.counts}/${list.body[0].id}`, token);
      if (one.status !== 200) return kept || null;
      const session = {
        id: one.body.id, reference: one.body.reference, depot, asOf: new Date().toISOString(),
        blind: one.body.blind,
        lines: Object.fromEntries(one.body.lines.map((line) => [line.lot, line.state])),
      };
      await this.store.setMeta(`count:${depot}`, session);
      return session;
    } catch (e) {  // offline
      return kept || null;
    }
  }

  // Shows the session of a depot (or nothing) and returns it.
  async show(depot, options) {
    const session = await this.forDepot(depot, options);
    this.shown = session;
    await this.paint();
    return session;
  }

  // The session a count of this lot goes into, if the lot is in the session on display.
  sessionFor(lot) {
    return this.shown && lot && lot.depot === this.shown.depot && lot.code in this.shown.lines ? this.shown : null;
  }

  // What the outbox keeps with a count ({kind: "count", lot, counted}) that goes into the session: where it
  // is sent, the body sent there and the session it belongs to.
  target(session, op) {
    return { send: { url: `${this.urls.counts}/${session.id}/lines`, body: { lot: op.lot, counted: op.counted } },
             count: { id: session.id, reference: session.reference } };
  }

  // Lots counted or left out (as the server said, or waiting on this phone) of all the session's lots.
  async progress(session) {
    const waiting = new Set((await this.store.all("outbox"))
      .filter((i) => i.count && i.count.id === session.id && i.state === "waiting").map((i) => i.op.lot));
    const lots = Object.keys(session.lines);
    const done = lots.filter((lot) => session.lines[lot] !== "missing" || waiting.has(lot)).length;
    return { done, lots: lots.length, waiting: waiting.size };
  }

  async paint() {
    const session = this.shown;
    this.el.box.hidden = !session;
    if (!session) return;
    const { done, lots } = await this.progress(session);
    this.el.title.textContent = this.fill(this.T.countSession, { count: session.reference });
    this.el.progress.textContent = this.fill(this.T.countProgress, { done, lots });
    this.el.link.href = `${this.urls.countPage}${session.id}`;
  }

  // A blind session hides the quantity on the books until every lot is counted or left out.
  hidesQuantity(lot) {
    const session = this.sessionFor(lot);
    return Boolean(session && session.blind && Object.values(session.lines).includes("missing"));
  }

  // The server recorded a count of the session: the kept copy and the progress follow.
  async sent(item) {
    const session = await this.store.meta(`count:${item.depot}`);
    if (session && session.id === item.count.id && item.result) {
      session.lines[item.result.lot] = item.result.state;
      await this.store.setMeta(`count:${item.depot}`, session);
      if (this.shown && this.shown.id === session.id) this.shown = session;
    }
    await this.paint();
  }

  describe(item, unit) {
    return this.fill(this.T.countSessionRecorded, { count: item.count.reference, lot: item.op.lot, counted: item.op.counted, unit });
  }
}
