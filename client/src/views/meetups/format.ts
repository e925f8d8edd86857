import type { Lang } from '../../i18n.js';

const locale = (lang: Lang) => (lang === 'ja' ? 'ja-JP' : 'en');

/**
 * A meetup's time span in the viewer's own time zone: "Tue, Nov 24, 7:00 PM – 9:00 PM" (the end
 * shows its date only when it falls on another day), with the zone's short name.
 */
export function formatSpan(startsAt: string, endsAt: string, lang: Lang): string {
  const start = new Date(startsAt);
  const end = new Date(endsAt);
  const sameDay = start.toDateString() === end.toDateString();
  const full = new Intl.DateTimeFormat(locale(lang), { weekday: 'short', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
  const clock = new Intl.DateTimeFormat(locale(lang), { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
  const endText = sameDay ? clock.format(end) : new Intl.DateTimeFormat(locale(lang), { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }).format(end);
  return `${full.format(start)} – ${endText}`;
}

/** A single moment (reminders): date and clock in the viewer's zone. */
export function formatMoment(iso: string, lang: Lang): string {
  return new Intl.DateTimeFormat(locale(lang), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/** The viewer's IANA time zone ("Asia/Tokyo"), for the form's hint. */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * A `datetime-local` value ("2026-11-24T19:00") read in the viewer's zone, as ISO 8601 with that
 * zone's offset ("2026-11-24T19:00:00+09:00"). Null for an empty or malformed value.
 */
export function localInputToIso(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  if (Number.isNaN(date.getTime())) return null;
  // getTimezoneOffset is minutes *behind* UTC (-540 in Tokyo), for that very date (DST-aware).
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** The reverse: an ISO time as a `datetime-local` value in the viewer's zone (for editing). */
export function isoToLocalInput(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
