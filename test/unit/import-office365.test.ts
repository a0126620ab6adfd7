import { resolve } from 'node:path';
import { latestVersions } from '../../scripts/import/alert-drafts.js';
import { readAlertFile } from '../../scripts/import/alert-files.js';
import {
  readOffice365Record,
  usersInData,
} from '../../scripts/import/office365.js';
import { collectingReport } from '../../scripts/import/report.js';

const fixture = (name: string) => resolve('test', 'fixtures', 'import', name);

const record = (changes: Record<string, unknown> = {}) => ({
  RecordType: 40,
  Category: 'InsiderRiskManagement',
  AlertId: 'a1b2c3d4-0000-4000-8000-000000000001',
  PolicyId: 'p1b2c3d4-0000-4000-8000-000000000001',
  Name: 'Data theft by departing users',
  Severity: 'Medium',
  Status: 'Active',
  CreationTime: '2026-03-01T09:05:00',
  Data: JSON.stringify({ f3u: 'jin.park@fabrikam.example' }),
  ...changes,
});

describe('readOffice365Record', () => {
  it('reads an insider risk alert record', () => {
    // Act
    const read = readOffice365Record(record(), 'record 1');

    // Assess
    expect(read).toEqual({
      draft: {
        format: 'office365',
        where: 'record 1',
        alertId: 'a1b2c3d4-0000-4000-8000-000000000001',
        userRefs: ['jin.park@fabrikam.example'],
        policy: {
          policyId: 'p1b2c3d4-0000-4000-8000-000000000001',
          name: 'Data theft by departing users',
        },
        severity: 'Medium',
        status: 'NeedsReview',
        detectedAt: '2026-03-01T09:05:00.000Z',
        observedAt: '2026-03-01T09:05:00.000Z',
      },
    });
  });

  it.each([
    ['Active', 'NeedsReview'],
    ['Investigating', 'Confirmed'],
    ['Resolved', 'Resolved'],
    ['dismissed', 'Dismissed'],
  ])('maps status %s to %s', (Status, status) => {
    // Act
    const read = readOffice365Record(record({ Status }), 'record 1');

    // Assess
    expect(read).toEqual({ draft: expect.objectContaining({ status }) });
  });

  it('accepts the record type written as a string', () => {
    // Act
    const read = readOffice365Record(record({ RecordType: '40' }), 'line 1');

    // Assess
    expect('draft' in read).toBe(true);
  });

  it.each([
    [
      { RecordType: 15 },
      /record type 15, category InsiderRiskManagement is not/,
    ],
    [{ Category: 'ThreatManagement' }, /category ThreatManagement is not/],
    [
      { Severity: 'Critical' },
      /Severity "Critical" is not High, Medium or Low/,
    ],
    [{ Status: 'Closed' }, /Status "Closed" is not Active, Investigating/],
    [{ CreationTime: 'soon' }, /CreationTime "soon" is not an ISO time/],
    [{ Data: '{}' }, /Data names no user/],
    [{ AlertId: 'a b' }, /AlertId must not contain spaces/],
  ])('rejects a record with %p', (changes, reason) => {
    // Act
    const read = readOffice365Record(record(changes), 'record 1');

    // Assess
    expect(read).toEqual({ reason: expect.stringMatching(reason) });
  });
});

describe('usersInData', () => {
  it('lists the users a Data blob names, most telling key first', () => {
    // Prepare
    const data = JSON.stringify({
      suid: 'SUID1',
      f3u: 'a@fabrikam.example, b@fabrikam.example',
      upn: 'c@fabrikam.example',
    });

    // Act
    const users = usersInData(data);

    // Assess
    expect(users).toEqual([
      'c@fabrikam.example',
      'a@fabrikam.example',
      'b@fabrikam.example',
      'SUID1',
    ]);
  });

  it('finds no user in a Data blob that is not JSON', () => {
    // Act
    const users = usersInData('not json');

    // Assess
    expect(users).toEqual([]);
  });
});

describe('latestVersions', () => {
  it('keeps the latest state and the earliest detection of an alert', () => {
    // Prepare
    const first = readOffice365Record(record(), 'record 1');
    const update = readOffice365Record(
      record({ Status: 'Investigating', CreationTime: '2026-03-02T10:00:00' }),
      'record 2',
    );
    if (!('draft' in first) || !('draft' in update)) throw new Error('bad');

    // Act
    const kept = latestVersions([update.draft, first.draft]);

    // Assess
    expect(kept).toEqual([
      expect.objectContaining({
        status: 'Confirmed',
        detectedAt: '2026-03-01T09:05:00.000Z',
        where: 'record 2',
      }),
    ]);
  });
});

describe('readAlertFile on Office 365 exports', () => {
  it('reads a JSON array and reports bad records by position', async () => {
    // Prepare
    const report = collectingReport();

    // Act
    const read = await readAlertFile(fixture('o365-alerts.json'), report);

    // Assess
    expect(read.drafts.map((draft) => draft.where)).toEqual([
      'record 1',
      'record 2',
      'record 3',
    ]);
    expect(read.rejected).toBe(3);
    expect(report.rejections.map((problem) => problem.where)).toEqual([
      'record 4',
      'record 5',
      'record 6',
    ]);
  });

  it('reads JSON lines and reports a broken line by number', async () => {
    // Prepare
    const report = collectingReport();

    // Act
    const read = await readAlertFile(fixture('o365-alerts.jsonl'), report);

    // Assess
    expect(read.drafts.map((draft) => draft.where)).toEqual([
      'line 1',
      'line 4',
    ]);
    expect(report.rejections).toEqual([
      expect.objectContaining({
        where: 'line 2',
        reason: expect.stringMatching(/^is not valid JSON/),
      }),
    ]);
  });
});
