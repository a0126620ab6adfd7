import { resolve } from 'node:path';
import { readAlertFile } from '../../scripts/import/alert-files.js';
import { readAnswersRow } from '../../scripts/import/answers.js';
import { CERT_SCENARIOS } from '../../scripts/import/policies.js';
import { collectingReport } from '../../scripts/import/report.js';

const row = (changes: Record<string, string> = {}) => ({
  dataset: '4.2',
  scenario: '2',
  details: 'r4.2-2-JSP0102.csv',
  user: 'JSP0102',
  start: '07/01/2010 01:24:58',
  end: '07/16/2010 06:52:00',
  ...changes,
});

describe('readAnswersRow', () => {
  it('makes a confirmed High alert in the scenario policy', () => {
    // Act
    const read = readAnswersRow(row(), 'line 3');

    // Assess
    expect(read).toEqual({
      draft: expect.objectContaining({
        format: 'certAnswers',
        alertId: 'cert-4.2-2-JSP0102',
        userRefs: ['JSP0102'],
        policy: CERT_SCENARIOS['2']?.policy,
        severity: 'High',
        status: 'Confirmed',
        detectedAt: '2010-07-01T01:24:58.000Z',
        addedToPolicyAt: '2010-07-01T01:24:58.000Z',
      }),
    });
  });

  it.each([
    [{ scenario: '9' }, /scenario "9" is not one of 1 to 5/],
    [
      { start: '/21/2011 11:43:39' },
      /start "\/21\/2011 11:43:39" is not a time like/,
    ],
    [{ end: '1/1/2010 00:00:00' }, /end is before start/],
    [{ user: '' }, /user must not be empty/],
  ])('rejects a row with %p', (changes, reason) => {
    // Act
    const read = readAnswersRow(row(changes), 'line 2');

    // Assess
    expect(read).toEqual({ reason: expect.stringMatching(reason) });
  });
});

describe('CERT_SCENARIOS', () => {
  it('maps each of the five scenarios to its own policy', () => {
    // Act
    const ids = ['1', '2', '3', '4', '5'].map(
      (scenario) => CERT_SCENARIOS[scenario]?.policy.policyId,
    );

    // Assess
    expect(new Set(ids).size).toBe(5);
    expect(ids).not.toContain(undefined);
  });
});

describe('readAlertFile on an answers file', () => {
  it('reads both date layouts and reports bad rows by line', async () => {
    // Prepare
    const report = collectingReport();
    const file = resolve('test', 'fixtures', 'import', 'answers.csv');

    // Act
    const read = await readAlertFile(file, report);

    // Assess
    expect(read.drafts.map((draft) => draft.detectedAt)).toEqual([
      '2010-03-06T01:41:56.000Z',
      '2010-07-01T01:24:58.000Z',
    ]);
    expect(report.rejections.map((problem) => problem.where)).toEqual([
      'line 4',
      'line 5',
    ]);
  });
});
