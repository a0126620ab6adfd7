import type { LocalStack } from '../../local/stack.js';
import { seedOrganisation } from '../support/seed.js';
import {
  apiCall,
  mailbox,
  startTestStack,
  waitForRun,
} from '../support/stack.js';

const IRM = 'InsiderRiskManagement';
const AUDITOR = 'InsiderRiskManagementAuditors';

let stack: LocalStack;
let flowId: string;

beforeAll(async () => {
  stack = await startTestStack({ pseudonymise: false });
  await seedOrganisation();
  const created = await apiCall(stack, 'POST', '/flows', {
    group: IRM,
    body: { templateId: 'notify-manager', name: 'Tell the manager' },
  });
  flowId = (created.body.flow as { flowId: string }).flowId;
  await apiCall(stack, 'POST', `/flows/${flowId}/share`, {
    group: IRM,
    body: { groups: [AUDITOR] },
  });
});

afterAll(async () => {
  await stack.close();
});

const notesOf = async (caseId: string): Promise<string[]> => {
  const answer = await apiCall(
    stack,
    'GET',
    `/cases/${caseId}/notes?limit=100`,
    {
      group: IRM,
    },
  );

  return (answer.body.notes as { text: string }[]).map((note) => note.text);
};

describe('the notify-manager template, end to end', () => {
  it('emails the manager every alert, highest severity first, and notes it once', async () => {
    const start = await apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
      group: IRM,
      body: { caseId: 'case-test-1' },
      headers: { 'idempotency-key': 'manager-run-0001' },
    });
    const repeat = await apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
      group: IRM,
      body: { caseId: 'case-test-1' },
      headers: { 'idempotency-key': 'manager-run-0001' },
    });

    expect(start.status).toBe(202);
    const runId = (start.body.run as { runId: string }).runId;
    expect((repeat.body.run as { runId: string }).runId).toBe(runId);
    const run = await waitForRun(stack, runId);
    expect(run.status).toBe('SUCCEEDED');
    expect((run.steps as { name: string }[]).map((s) => s.name)).toEqual(
      expect.arrayContaining(['GetCase', 'EmailManager', 'NoteSent']),
    );
    const emails = (await mailbox(stack)).filter((email) =>
      email.destination.to.includes('maren.okafor@example.test'),
    );
    expect(emails).toHaveLength(1);
    const html = emails[0]?.body.html ?? '';
    expect(html.indexOf('High')).toBeLessThan(html.indexOf('Medium'));
    expect(html.indexOf('Medium')).toBeLessThan(html.lastIndexOf('Low'));
    expect(html).toContain('UTC');
    expect(html).not.toContain('<script>alert(1)</script>');
    const sentNotes = (await notesOf('case-test-1')).filter((text) =>
      text.includes('was sent to Maren Okafor'),
    );
    expect(sentNotes).toHaveLength(1);
  });

  it('sends no email and notes the missing manager when the user has none', async () => {
    const confirm = await apiCall(
      stack,
      'POST',
      '/alerts/alert-test-new/confirm',
      {
        group: IRM,
      },
    );
    const caseId = (confirm.body.case as { caseId: string }).caseId;
    const before = (await mailbox(stack)).length;

    const start = await apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
      group: IRM,
      body: { caseId },
    });
    const run = await waitForRun(
      stack,
      (start.body.run as { runId: string }).runId,
    );

    expect(run.status).toBe('SUCCEEDED');
    expect(run.outcome).toContain('no manager');
    expect(await mailbox(stack)).toHaveLength(before);
    expect((await notesOf(caseId)).join('\n')).toContain(
      'Lone Worker has no manager in the directory',
    );
  });

  it('refuses a run on a user for a case flow with 400 naming the field', async () => {
    const answer = await apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
      group: IRM,
      body: { userId: 'usr001' },
    });

    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual([
      { field: 'caseId', problem: 'required, and alone, for a case flow' },
    ]);
  });

  it('refuses a run to a role group that cannot see cases', async () => {
    const answer = await apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
      group: AUDITOR,
      body: { caseId: 'case-test-1' },
    });

    expect(answer.status).toBe(403);
  });
});
