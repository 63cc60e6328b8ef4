// Numbers, money and times as people read them (the browser's locale).

const numberFormat = new Intl.NumberFormat();
export const formatNumber = (n) => (typeof n === "number" && Number.isFinite(n) ? numberFormat.format(n) : "—");

export function formatMoney(cents, currency) {
  if (typeof cents !== "number" || !Number.isFinite(cents)) return "—";
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(cents / 100);
  } catch {
    return (cents / 100).toFixed(2);
  }
}

const absoluteFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const shortDate = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", year: "numeric" });

export function parseTime(iso) {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? new Date(t) : null;
}

export const formatAbsolute = (date) => (date ? absoluteFormat.format(date) : "");

/** "just now", "4 min ago", "3 h ago", "yesterday", "5 days ago", then a date. */
export function formatRelative(date, now = Date.now()) {
  if (!date) return "—";
  const seconds = Math.round((now - date.getTime()) / 1000);
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days === 1) return "yesterday";
  if (days < 7) return `${days} days ago`;
  return shortDate.format(date);
}

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "short", month: "short", day: "numeric", timeZone: "UTC" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A calendar day `YYYY-MM-DD` (an ETA, a business date) as "Tue, Dec 1", the same in every time zone. */
export function formatDay(isoDay) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(isoDay || ""));
  return m ? dayFormat.format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))) : "—";
}

/** A moment (ISO 8601) in the reader's time zone: "Nov 29, 2026, 2:31 AM". */
export function formatDateTime(iso) {
  const date = parseTime(iso);
  return date ? dateTimeFormat.format(date) : "—";
}
