import { resolve } from 'node:path';
import { readAlertFile } from '../../scripts/import/alert-files.js';
import { readGraphAlert } from '../../scripts/import/graph.js';
import { collectingReport } from '../../scripts/import/report.js';

const alert = (changes: Record<string, unknown> = {}) => ({
  '@odata.type': '#microsoft.graph.security.alert',
  id: 'irA2',
  title: 'Data leaks by <b>priority</b> users & R&D',
  severity: 'high',
  status: 'inProgress',
  createdDateTime: '2026-04-01T08:15:30.1234567Z',
  lastUpdateDateTime: '2026-04-02T10:00:00Z',
  detectionSource: 'microsoftInsiderRiskManagement',
  evidence: [
    { '@odata.type': '#microsoft.graph.security.deviceEvidence' },
    {
      '@odata.type': '#microsoft.graph.security.userEvidence',
      userAccount: {
        accountName: 'jin.park',
        userPrincipalName: 'jin.park@f.example',
      },
    },
  ],
  ...changes,
});

describe('readGraphAlert', () => {
  it('reads an insider risk alert with its user evidence', () => {
    // Act
    const read = readGraphAlert(alert(), 'record 2');

    // Assess
    expect(read).toEqual({
      draft: {
        format: 'graph',
        where: 'record 2',
        alertId: 'irA2',
        userRefs: ['jin.park@f.example', 'jin.park'],
        policy: { name: 'Data leaks by <b>priority</b> users & R&D' },
        severity: 'High',
        status: 'Confirmed',
        detectedAt: '2026-04-01T08:15:30.123Z',
        observedAt: '2026-04-02T10:00:00.000Z',
        title: 'Data leaks by <b>priority</b> users & R&D',
      },
    });
  });

  it.each([
    ['informational', 'Low'],
    ['low', 'Low'],
    ['medium', 'Medium'],
    ['high', 'High'],
  ])('maps severity %s to %s', (severity, expected) => {
    // Act
    const read = readGraphAlert(alert({ severity }), 'record 1');

    // Assess
    expect(read).toEqual({
      draft: expect.objectContaining({ severity: expected }),
    });
  });

  it.each([
    ['new', 'NeedsReview'],
    ['inProgress', 'Confirmed'],
    ['resolved', 'Resolved'],
  ])('maps status %s to %s', (status, expected) => {
    // Act
    const read = readGraphAlert(alert({ status }), 'record 1');

    // Assess
    expect(read).toEqual({
      draft: expect.objectContaining({ status: expected }),
    });
  });

  it.each([
    [
      { detectionSource: 'antivirus' },
      /detectionSource antivirus is not microsoftInsider/,
    ],
    [
      { status: 'unknownFutureValue' },
      /status "unknownFutureValue" is not new/,
    ],
    [{ evidence: [] }, /no userEvidence names a user/],
    [{ title: '' }, /title must name the policy/],
  ])('rejects an alert with %p', (changes, reason) => {
    // Act
    const read = readGraphAlert(alert(changes), 'record 1');

    // Assess
    expect(read).toEqual({ reason: expect.stringMatching(reason) });
  });
});

describe('readAlertFile on a Graph alerts_v2 answer', () => {
  it('reads the alerts under value and reports the others', async () => {
    // Prepare
    const report = collectingReport();
    const file = resolve('test', 'fixtures', 'import', 'graph-alerts.json');

    // Act
    const read = await readAlertFile(file, report);

    // Assess
    expect(read.drafts.map((draft) => draft.alertId)).toEqual(['irA1', 'irA2']);
    expect(report.rejections.map((problem) => problem.where)).toEqual([
      'record 3',
      'record 4',
      'record 5',
    ]);
  });
});
