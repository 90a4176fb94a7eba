// Dates and times on the scanning page as the other pages write them (common/formats.py):
// 2026年12月5日 15:03 / 5 Dec 2026, 15:03, and 2026年7月13日 / 13 Jul 2026. The page's language is <html lang>.

const isChinese = (lang) => String(lang || "zh-CN").toLowerCase().startsWith("zh");
const locale = (lang) => (isChinese(lang) ? "zh-CN" : "en-GB");

// An instant (ISO text with its offset, or a Date) in the phone's time zone.
export function formatDateTime(value, lang) {
  if (!value) return "";
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  const text = new Intl.DateTimeFormat(locale(lang), {
    year: "numeric", month: isChinese(lang) ? "long" : "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", hour12: false,
  }).format(d);
  return isChinese(lang) ? text : text.replace(/ at /, ", ");
}

// A calendar date ("2027-06-01"): no time-zone shift.
export function formatDate(iso, lang) {
  if (!iso) return "";
  const [y, m, d] = String(iso).slice(0, 10).split("-").map(Number);
  if (!y || !m || !d) return String(iso);
  if (isChinese(lang)) return `${y}年${m}月${d}日`;
  return new Intl.DateTimeFormat("en-GB", { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" })
    .format(new Date(Date.UTC(y, m - 1, d)));
}
