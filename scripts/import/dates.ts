/*
 * Times in import files come as US month/day dates without a zone (the CERT
 * answers: `3/6/2010 1:41:56`, `07/01/2010 01:24:58`) or as ISO 8601 with or
 * without a zone (Office 365 writes `2020-02-14T19:00:00`, UTC). Every time
 * is stored as UTC ISO 8601 with milliseconds, so that stored times sort.
 */

const US_DATE =
  /^(\d{1,2})\/(\d{1,2})\/(\d{4})[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?$/;

const ISO_DATE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

type Fields = [number, number, number, number, number, number];

const utcIso = (...fields: Fields): string | undefined => {
  const [year, month, day, hour, minute, second] = fields;
  const time = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const valid =
    time.getUTCFullYear() === year &&
    time.getUTCMonth() === month - 1 &&
    time.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60;

  return valid ? time.toISOString() : undefined;
};

/**
 * Reads a `month/day/year hour:minute[:second]` time as UTC; undefined
 * when the text is not such a time or names a day that does not exist.
 */
export const parseUsDateTime = (text: string): string | undefined => {
  const match = US_DATE.exec(text.trim());
  if (!match) return undefined;
  const [, month, day, year, hour, minute, second = '0'] = match;

  return utcIso(
    ...([year, month, day, hour, minute, second].map(Number) as Fields),
  );
};

/**
 * Reads an ISO 8601 time; one without a zone is UTC. Fractions beyond
 * milliseconds (Graph writes seven digits) are cut, not rounded.
 */
export const parseIsoDateTime = (text: string): string | undefined => {
  const match = ISO_DATE.exec(text.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second = '00'] = match;
  const [fraction = '', zone = 'Z'] = match.slice(7);
  const fields = [year, month, day, hour, minute, second].map(Number);
  if (utcIso(...(fields as Fields)) === undefined) return undefined;
  const millis = fraction.padEnd(3, '0').slice(0, 3);
  const offset = zone.toUpperCase().replace(/^([+-]\d{2})(\d{2})$/, '$1:$2');
  const parsed = new Date(
    `${year}-${month}-${day}T${hour}:${minute}:${second}.${millis}${offset}`,
  );

  return Number.isNaN(parsed.getTime()) ? undefined : parsed.toISOString();
};
