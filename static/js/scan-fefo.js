// First-expiry-first-out (先到期先出), the same rule as inventory/fefo.py, for the lots the phone keeps:
//   usable  quantity > 0 and not expired (a lot is usable through its expiry date)
//   order   earliest expiry first; lots without an expiry date last; ties by received date, then lot code
// Dates are ISO texts ("2026-07-13"), which compare as dates.

export const isExpired = (expiresOn, today) => Boolean(expiresOn) && expiresOn < today;

export const usable = (lot, today) => lot.quantity > 0 && !isExpired(lot.expires_on, today);

function key(lot) {
  return [lot.expires_on ? 0 : 1, lot.expires_on || "", lot.received_on || "", lot.code];
}

export function compare(a, b) {
  const ka = key(a);
  const kb = key(b);
  for (let i = 0; i < ka.length; i += 1) {
    if (ka[i] < kb[i]) return -1;
    if (ka[i] > kb[i]) return 1;
  }
  return 0;
}

export function pickingOrder(lots, today) {
  return lots.filter((lot) => usable(lot, today)).sort(compare);
}

export function firstOut(lots, today) {
  return pickingOrder(lots, today)[0] || null;
}

// true when taking `taken` passes over `first`, which expires sooner (an equal expiry date is just as good)
export function outOfOrder(taken, first) {
  if (!first || taken.code === first.code || !first.expires_on) return false;
  return !taken.expires_on || taken.expires_on > first.expires_on;
}

// the phone's calendar date, as the county writes it (the phone keeps local time)
export function localToday(now = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}
