import { describe, expect, it } from '@jest/globals';
import { digestAlerts } from '../../functions/domain/messages.js';
import type { Alert, Severity } from '../../functions/domain/model.js';

const SEVERITY_CYCLE: readonly Severity[] = ['Low', 'Medium', 'High'];

const alertAt = (minute: number, severity: Severity): Alert => ({
  alertId: `alert-${minute}`,
  userId: 'user-1',
  policyId: 'policy-1',
  policyName: 'General data leaks',
  severity,
  status: 'Confirmed',
  detectedAt: new Date(Date.UTC(2026, 10, 1) + minute * 60_000).toISOString(),
  caseId: 'case-1',
});

const manyAlerts = (count: number): Alert[] =>
  Array.from({ length: count }, (_, minute) =>
    alertAt(minute, SEVERITY_CYCLE[minute % 3] ?? 'Low'),
  );

describe('alert digest', () => {
  it('orders alerts by severity, then most recent first', () => {
    // Prepare
    const alerts = [
      alertAt(1, 'Low'),
      alertAt(2, 'High'),
      alertAt(3, 'Medium'),
      alertAt(4, 'High'),
    ];

    // Act
    const digest = digestAlerts(alerts, 50);

    // Assess
    expect(digest.alerts.map((a) => a.severity)).toEqual([
      'High',
      'High',
      'Medium',
      'Low',
    ]);
    expect(digest.alerts[0]?.detectedAt).toBe('2026-11-01 00:04 UTC');
    expect(digest.more).toBe(0);
    expect(digest.moreText).toBe('');
  });

  it('lists the 50 most recent alerts and says how many more there are', () => {
    // Prepare
    const alerts = manyAlerts(1_000);

    // Act
    const digest = digestAlerts(alerts, 50);

    // Assess
    expect(digest.alerts).toHaveLength(50);
    expect(digest.more).toBe(950);
    expect(digest.moreText).toContain('950 more alerts');
    expect(digest.total).toBe('1,000');
    const oldestListed = digest.alerts.map((a) => a.detectedAt).sort()[0];
    expect(oldestListed).toBe('2026-11-01 15:50 UTC');
  });

  it('counts every alert per severity, listed or not', () => {
    // Prepare
    const alerts = manyAlerts(1_000);

    // Act
    const digest = digestAlerts(alerts, 50);

    // Assess
    expect(digest.severityCounts).toEqual([
      { severity: 'High', count: '333' },
      { severity: 'Medium', count: '333' },
      { severity: 'Low', count: '334' },
    ]);
  });
});
