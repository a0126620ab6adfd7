import type { Alert, Case, User } from '../../functions/domain/model.js';

/** A small organisation for tests: written through the real repositories. */
export const seedOrganisation = async (): Promise<{
  user: User;
  manager: User;
  loner: User;
  caseRecord: Case;
  alerts: Alert[];
}> => {
  const directory = await import('../../functions/domain/directory.js');
  const cases = await import('../../functions/domain/cases.js');
  const manager: User = {
    userId: 'mgr001',
    displayName: 'Maren Okafor',
    email: 'maren.okafor@example.test',
    riskLevel: 'none',
  };
  const user: User = {
    userId: 'usr001',
    displayName: 'Zoë Ångström <b>',
    email: 'zoe.angstrom@example.test',
    managerId: manager.userId,
    riskLevel: 'moderate',
    activeCaseId: 'case-test-1',
  };
  const loner: User = {
    userId: 'usr002',
    displayName: 'Lone Worker',
    email: 'lone.worker@example.test',
    riskLevel: 'none',
  };
  for (const person of [manager, user, loner]) await directory.putUser(person);
  await directory.putPolicy({
    policyId: 'pol-leaks',
    name: 'General data leaks',
    template: 'General data leaks',
  });
  const caseRecord: Case = {
    caseId: 'case-test-1',
    name: 'Data leaks & <script>alert(1)</script>',
    status: 'Active',
    userId: user.userId,
    openedAt: '2026-11-01T09:00:00.000Z',
    updatedAt: '2026-11-01T09:00:00.000Z',
    updatedBy: 'seed',
  };
  await cases.putCaseIfAbsent(caseRecord);
  const alerts: Alert[] = ['High', 'Low', 'Medium'].map((severity, index) => ({
    alertId: `alert-test-${index}`,
    userId: user.userId,
    policyId: 'pol-leaks',
    policyName: 'General data leaks',
    severity: severity as Alert['severity'],
    status: 'Confirmed',
    detectedAt: `2026-11-0${index + 2}T10:00:00.000Z`,
    caseId: caseRecord.caseId,
  }));
  alerts.push({
    alertId: 'alert-test-new',
    userId: loner.userId,
    policyId: 'pol-leaks',
    policyName: 'General data leaks',
    severity: 'Medium',
    status: 'NeedsReview',
    detectedAt: '2026-11-20T10:00:00.000Z',
  });
  for (const alert of alerts) await cases.putAlert(alert);

  return { user, manager, loner, caseRecord, alerts };
};
