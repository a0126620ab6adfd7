import {
  parseIsoDateTime,
  parseUsDateTime,
} from '../../scripts/import/dates.js';

describe('parseUsDateTime', () => {
  it.each([
    ['3/6/2010 1:41:56', '2010-03-06T01:41:56.000Z'],
    ['07/01/2010 01:24:58', '2010-07-01T01:24:58.000Z'],
    ['12/31/2010 23:59', '2010-12-31T23:59:00.000Z'],
  ])('reads %s as UTC', (text, expected) => {
    // Act
    const parsed = parseUsDateTime(text);

    // Assess
    expect(parsed).toBe(expected);
  });

  it.each([
    '/21/2011 11:43:39',
    '2/30/2010 10:00:00',
    '13/01/2010 10:00:00',
    '1/1/2010 24:00:00',
    '2010-01-01 10:00:00',
    '',
  ])('rejects %p', (text) => {
    // Act
    const parsed = parseUsDateTime(text);

    // Assess
    expect(parsed).toBeUndefined();
  });
});

describe('parseIsoDateTime', () => {
  it.each([
    ['2020-02-14T19:00:00', '2020-02-14T19:00:00.000Z'],
    ['2021-04-27T12:19:27.7211305Z', '2021-04-27T12:19:27.721Z'],
    ['2026-01-05T10:00:00+02:00', '2026-01-05T08:00:00.000Z'],
    ['2026-01-05T10:00:00+0200', '2026-01-05T08:00:00.000Z'],
    ['2026-01-05 10:00', '2026-01-05T10:00:00.000Z'],
  ])('reads %s as %s', (text, expected) => {
    // Act
    const parsed = parseIsoDateTime(text);

    // Assess
    expect(parsed).toBe(expected);
  });

  it.each(['2026-02-30T10:00:00Z', '3/6/2010 1:41:56', 'yesterday'])(
    'rejects %p',
    (text) => {
      // Act
      const parsed = parseIsoDateTime(text);

      // Assess
      expect(parsed).toBeUndefined();
    },
  );
});
