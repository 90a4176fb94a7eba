// Lots for the page: from the server when it answers, otherwise as last seen (kept in the phone's store
// with the time they were seen). A keeper's lots are fetched whole when online, so a scan offline still
// shows the lot; what the outbox has not yet sent is applied on top as a provisional balance.

const LOOKUP_TIMEOUT_MS = 5000;
const PAGE = 1000;

export async function getJSON(url, token) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), LOOKUP_TIMEOUT_MS);
  try {
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    const response = await fetch(url, { headers, credentials: token ? "omit" : "same-origin", signal: abort.signal });
    const body = await response.json().catch(() => null);
    return { status: response.status, body };
  } finally {
    clearTimeout(timer);
  }
}

export class Lots {
  constructor({ store, urls, token }) {
    Object.assign(this, { store, urls, token });
  }

  // {lot, fresh: true} | {lot, fresh: false, asOf} | {status: 404|403|401|..., error} | {offline: true}
  async lookup(code) {
    let answer;
    try {
      answer = await getJSON(this.urls.lot + encodeURIComponent(code), await this.token());
    } catch (e) {
      return this._kept(code, { offline: true });
    }
    if (answer.status === 200) {
      const lot = { ...answer.body, asOf: new Date().toISOString() };
      await this.store.put("lots", lot);
      return { lot, fresh: true };
    }
    if (answer.status === 401 || answer.status >= 500) return this._kept(code, { status: answer.status });
    return { status: answer.status, error: answer.body && answer.body.error };
  }

  async _kept(code, otherwise) {
    const lot = await this.store.get("lots", code);
    return lot ? { lot, fresh: false, asOf: lot.asOf } : otherwise;
  }

  // every lot of the depots this user keeps (empty ones too), for scanning offline
  async refresh() {
    const token = await this.token();
    const asOf = new Date().toISOString();
    const lots = [];
    for (let offset = 0; ; offset += PAGE) {
      const answer = await getJSON(`${this.urls.lots}?include_empty=true&limit=${PAGE}&offset=${offset}`, token);
      if (answer.status !== 200) throw new Error(`lots: HTTP ${answer.status}`);
      lots.push(...answer.body.lots.map((lot) => ({ ...lot, asOf })));
      if (offset + PAGE >= answer.body.total) break;
    }
    await this.store.putMany("lots", lots);
    await this.store.setMeta("lotsAsOf", asOf);
    return lots.length;
  }

  // the server's last word, confirmed by an answer to an action
  async confirmed(entries) {
    for (const entry of entries || []) {
      const lot = await this.store.get("lots", entry.lot);
      if (lot) await this.store.put("lots", { ...lot, quantity: entry.balance_after, asOf: new Date().toISOString() });
    }
  }
}

// The balance once the actions still waiting in the outbox are applied. The server's figures hold every
// action it confirmed; a waiting one whose answer was lost may count twice until it is confirmed, which
// is why this is shown as provisional.
export function provisional(lot, waiting) {
  let quantity = lot.quantity;
  let pending = 0;
  for (const item of waiting) {
    const op = item.op;
    if (item.state !== "waiting" || op.lot !== lot.code || item.send) continue;  // a write-off request takes nothing yet, a session's count waits for its close
    pending += 1;
    if (op.kind === "receive") quantity += op.quantity;
    else if (op.kind === "count") quantity = op.counted;
    else quantity -= op.quantity;  // issue, transfer
  }
  return { quantity, pending };
}
