import { describe, expect, it } from '@jest/globals';
import { formatUtc, paragraphs } from '../../functions/domain/format.js';

describe('formatting', () => {
  it.each([
    ['2026-11-30T14:05:59.999Z', '2026-11-30 14:05 UTC'],
    ['2026-11-30T23:30:00+02:00', '2026-11-30 21:30 UTC'],
    ['2026-01-02T03:04:00Z', '2026-01-02 03:04 UTC'],
  ])('writes %s in UTC with the zone as %s', (iso, expected) => {
    // Act
    const written = formatUtc(iso);

    // Assess
    expect(written).toBe(expected);
  });

  it('splits a message into paragraphs at blank lines', () => {
    // Act
    const split = paragraphs(
      'First line\nsame paragraph\n\n  Second  \r\n\r\n',
    );

    // Assess
    expect(split).toEqual(['First line\nsame paragraph', 'Second']);
  });
});
