import type { LocalStack } from '../../local/stack.js';
import { seedOrganisation } from '../support/seed.js';
import {
  apiCall,
  mailbox,
  startTestStack,
  waitForRun,
} from '../support/stack.js';

const IRM = 'InsiderRiskManagement';
const ADMIN = 'InsiderRiskManagementAdmins';
const ANALYST = 'InsiderRiskManagementAnalysts';

let stack: LocalStack;
let flowId: string;

beforeAll(async () => {
  stack = await startTestStack({ pseudonymise: false });
  await seedOrganisation();
  const created = await apiCall(stack, 'POST', '/flows', {
    group: IRM,
    body: { templateId: 'notify-users', name: 'Policy scope notice' },
  });
  flowId = (created.body.flow as { flowId: string }).flowId;
  await apiCall(stack, 'POST', `/flows/${flowId}/share`, {
    group: IRM,
    body: { groups: [ANALYST] },
  });
});

afterAll(async () => {
  await stack.close();
});

const addToPolicy = (userId: string) =>
  apiCall(stack, 'POST', '/policies/pol-leaks/users', {
    group: ADMIN,
    body: { userId },
  });

const runOn = async (userId: string) => {
  const start = await apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
    group: ANALYST,
    body: { userId },
  });
  expect(start.status).toBe(202);

  return waitForRun(stack, (start.body.run as { runId: string }).runId);
};

describe('the notify-users template, end to end', () => {
  it('emails the user and the manager once each and tracks both messages', async () => {
    await addToPolicy('usr001');

    const run = await runOn('usr001');

    expect(run.status).toBe('SUCCEEDED');
    const emails = await mailbox(stack);
    const to = emails.flatMap((email) => email.destination.to).sort();
    expect(to).toEqual([
      'maren.okafor@example.test',
      'zoe.angstrom@example.test',
    ]);
    for (const email of emails) {
      expect(email.body.html).toContain('General data leaks');
      expect(email.body.html).not.toContain('Zoë Ångström <b>');
    }
    const tracking = await apiCall(
      stack,
      'GET',
      '/users/usr001/notifications',
      {
        group: ANALYST,
      },
    );
    const records = tracking.body.notifications as Record<string, string>[];
    expect(records).toHaveLength(2);
    for (const record of records) {
      expect(record).toMatchObject({ userId: 'usr001', policyId: 'pol-leaks' });
      expect(record.messageId).toBeTruthy();
      expect(record.sentAt).toBeTruthy();
    }
  });

  it('emails a user without a manager and says the manager was missing', async () => {
    await addToPolicy('usr002');
    const before = (await mailbox(stack)).length;

    const run = await runOn('usr002');

    expect(run.status).toBe('SUCCEEDED');
    expect(run.outcome).toContain('no manager');
    const emails = (await mailbox(stack)).slice(before);
    expect(emails.map((email) => email.destination.to)).toEqual([
      ['lone.worker@example.test'],
    ]);
  });

  it('refuses a run on a user who is in no policy with 409', async () => {
    const answer = await apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
      group: ANALYST,
      body: { userId: 'mgr001' },
    });

    expect(answer.status).toBe(409);
    expect(answer.body.message).toContain('in no policy');
  });
});
