import type { LocalStack } from '../../local/stack.js';
import { seedOrganisation } from '../support/seed.js';
import {
  apiCall,
  mailbox,
  type StoredEmail,
  startTestStack,
  waitForRun,
} from '../support/stack.js';

const IRM = 'InsiderRiskManagement';
const ADMIN = 'InsiderRiskManagementAdmins';
const AUDITOR = 'InsiderRiskManagementAuditors';
const INVESTIGATOR = 'InsiderRiskManagementInvestigators';
const USER_ADDRESS = 'zoe.angstrom@example.test';
const MANAGER_ADDRESS = 'maren.okafor@example.test';

let stack: LocalStack;
let memberFlowId: string;
let alertFlowId: string;

const createTriggeredFlow = async (
  templateId: string,
  trigger: string,
): Promise<string> => {
  const created = await apiCall(stack, 'POST', '/flows', {
    group: IRM,
    body: { templateId, name: `Started by ${trigger}`, trigger },
  });
  expect(created.status).toBe(201);

  return (created.body.flow as { flowId: string }).flowId;
};

beforeAll(async () => {
  stack = await startTestStack();
  await seedOrganisation();
  const cases = await import('../../functions/domain/cases.js');
  await cases.putAlert({
    alertId: 'alert-test-review',
    userId: 'usr001',
    policyId: 'pol-leaks',
    policyName: 'General data leaks',
    severity: 'High',
    status: 'NeedsReview',
    detectedAt: '2026-11-21T10:00:00.000Z',
  });
  // The templates stop before emailing anyone while users are pseudonymised.
  const privacy = await apiCall(stack, 'PUT', '/settings/privacy', {
    group: ADMIN,
    body: { pseudonymise: false },
  });
  expect(privacy.status).toBe(200);
  // The seed's own changes reach the trigger before any flow listens.
  await stack.streams.settled();
  memberFlowId = await createTriggeredFlow(
    'notify-users',
    'policy-member-added',
  );
  alertFlowId = await createTriggeredFlow('notify-manager', 'alert-confirmed');
});

afterAll(async () => {
  await stack.close();
});

/** Every run of a flow, once the changes made so far have been handled. */
const settledRunsOf = async (flowId: string) => {
  await stack.streams.settled();
  const answer = await apiCall(stack, 'GET', `/flows/${flowId}/runs`, {
    group: IRM,
  });
  const runs = answer.body.runs as { runId: string }[];

  return Promise.all(runs.map((run) => waitForRun(stack, run.runId)));
};

/** The emails after the first `skip`, once at least `count` have arrived. */
const waitForMail = async (
  skip: number,
  count: number,
): Promise<StoredEmail[]> => {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const emails = (await mailbox(stack)).slice(skip);
    if (emails.length >= count || Date.now() > deadline) return emails;
    await new Promise((done) => setTimeout(done, 50));
  }
};

const recipients = (emails: StoredEmail[]): string[] =>
  emails.flatMap((email) => email.destination.to).sort();

const addToPolicy = () =>
  apiCall(stack, 'POST', '/policies/pol-leaks/users', {
    group: ADMIN,
    body: { userId: 'usr001' },
  });

describe('event triggers', () => {
  it('emails the user and the manager once when the user is added to a policy', async () => {
    const before = (await mailbox(stack)).length;

    const added = await addToPolicy();

    expect(added.status).toBe(201);
    const emails = await waitForMail(before, 2);
    const runs = await settledRunsOf(memberFlowId);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      status: 'SUCCEEDED',
      startedBy: 'demo-irm',
      target: { userId: 'usr001', policyId: 'pol-leaks' },
    });
    expect(recipients(emails)).toEqual([MANAGER_ADDRESS, USER_ADDRESS]);
    expect((await mailbox(stack)).length).toBe(before + 2);
  });

  it('sends nothing more when the same user is added again', async () => {
    const before = (await mailbox(stack)).length;

    const again = await addToPolicy();

    expect(again.status).toBe(200);
    expect(await settledRunsOf(memberFlowId)).toHaveLength(1);
    expect((await mailbox(stack)).length).toBe(before);
  });

  it('records the triggered start in the audit log with the trigger as actor', async () => {
    const answer = await apiCall(
      stack,
      'GET',
      '/audit?category=runs&actor=trigger:policy-member-added',
      { group: IRM },
    );

    expect(answer.status).toBe(200);
    expect(answer.body.events).toEqual([
      expect.objectContaining({
        action: 'run.started',
        after: expect.objectContaining({
          flowId: memberFlowId,
          startedBy: 'demo-irm',
        }),
      }),
    ]);
  });

  it('emails the manager once when an alert is confirmed twice', async () => {
    const before = (await mailbox(stack)).length;

    const first = await apiCall(
      stack,
      'POST',
      '/alerts/alert-test-review/confirm',
      {
        group: IRM,
      },
    );
    const second = await apiCall(
      stack,
      'POST',
      '/alerts/alert-test-review/confirm',
      {
        group: IRM,
      },
    );

    expect(first.status).toBeLessThan(300);
    expect(second.status).toBe(200);
    const caseId = (first.body.case as { caseId: string }).caseId;
    const emails = await waitForMail(before, 1);
    const runs = await settledRunsOf(alertFlowId);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      status: 'SUCCEEDED',
      target: { caseId },
    });
    expect(recipients(emails)).toEqual([MANAGER_ADDRESS]);
    expect((await mailbox(stack)).length).toBe(before + 1);
  });

  it.each([
    ['an auditor', AUDITOR, '/flows'],
    ['an admin', ADMIN, '/settings/flows'],
  ])(
    'refuses a trigger from %s, who may not run the flow, and saves nothing',
    async (_who, group, door) => {
      const before = await apiCall(stack, 'GET', door, { group });

      const answer = await apiCall(stack, 'POST', door, {
        group,
        body: {
          templateId: 'notify-users',
          name: 'Scope notice',
          trigger: 'policy-member-added',
        },
      });

      expect(answer.status).toBe(403);
      expect(answer.body.message).toContain(INVESTIGATOR);
      expect((await apiCall(stack, 'GET', door, { group })).body).toEqual(
        before.body,
      );
    },
  );

  it('refuses an auditor adding a trigger to their flow and keeps it as it was', async () => {
    const created = await apiCall(stack, 'POST', '/flows', {
      group: AUDITOR,
      body: { templateId: 'notify-users', name: 'Auditor notice' },
    });
    const flowId = (created.body.flow as { flowId: string }).flowId;

    const edit = await apiCall(stack, 'PATCH', `/flows/${flowId}`, {
      group: AUDITOR,
      body: { trigger: 'policy-member-added' },
    });

    expect(created.status).toBe(201);
    expect(edit.status).toBe(403);
    const after = await apiCall(stack, 'GET', `/flows/${flowId}`, {
      group: AUDITOR,
    });
    expect(after.body.flow).toEqual(created.body.flow);
  });

  it('runs a trigger on behalf of the person who saved it, who may run it', async () => {
    const created = await apiCall(stack, 'POST', '/flows', {
      group: AUDITOR,
      body: { templateId: 'notify-users', name: 'Shared scope notice' },
    });
    const flowId = (created.body.flow as { flowId: string }).flowId;
    await apiCall(stack, 'POST', `/flows/${flowId}/share`, {
      group: AUDITOR,
      body: { groups: [INVESTIGATOR] },
    });
    const edit = await apiCall(stack, 'PATCH', `/flows/${flowId}`, {
      group: INVESTIGATOR,
      body: { trigger: 'policy-member-added' },
    });

    const added = await apiCall(stack, 'POST', '/policies/pol-leaks/users', {
      group: ADMIN,
      body: { userId: 'usr002' },
    });

    expect(edit.status).toBe(200);
    expect(edit.body.flow).toMatchObject({
      triggerOwner: { userId: 'demo-investigators', groups: [INVESTIGATOR] },
    });
    expect(added.status).toBe(201);
    const runs = await settledRunsOf(flowId);
    expect(runs).toEqual([
      expect.objectContaining({
        startedBy: 'demo-investigators',
        target: { userId: 'usr002', policyId: 'pol-leaks' },
      }),
    ]);
    // The other flows this change started end before the stack closes.
    await stack.stepFunctions.idle();
  });

  it('leaves no stream record undelivered', () => {
    expect(stack.streams.deadLetters).toEqual([]);
  });
});
