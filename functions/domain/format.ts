/*
 * How dates, counts and people are written in emails, pages and notes.
 * Times are always UTC with the zone written, so that a reader in any
 * office reads the same moment.
 */

const pad = (value: number): string => String(value).padStart(2, '0');

/** `2026-11-30T14:05:09.123Z` → `2026-11-30 14:05 UTC`. */
export const formatUtc = (iso: string): string => {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const date = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(
    at.getUTCDate(),
  )}`;

  return `${date} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())} UTC`;
};

const counts = new Intl.NumberFormat('en-US');

/** `1950` → `1,950`. */
export const formatCount = (value: number): string => counts.format(value);

/** `Name <email>`, or the bare address when there is no name. */
export const recipientLabel = (email: string, name?: string): string =>
  name ? `${name} <${email}>` : email;

/** Splits a configured message into paragraphs at blank lines. */
export const paragraphs = (message: string): string[] =>
  message
    .split(/\r?\n\s*\r?\n/)
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph !== '');
