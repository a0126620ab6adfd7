import type { LocalStack } from '../../local/stack.js';
import { seedOrganisation } from '../support/seed.js';
import { apiCall, startTestStack, waitForRun } from '../support/stack.js';

const IRM = 'InsiderRiskManagement';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({ pseudonymise: false });
  await seedOrganisation();
});

afterAll(async () => {
  await stack.close();
});

const createFlow = async (settings: Record<string, unknown> = {}) => {
  const created = await apiCall(stack, 'POST', '/flows', {
    group: IRM,
    body: {
      templateId: 'servicenow-record',
      name: 'Open an incident',
      settings,
    },
  });

  return (created.body.flow as { flowId: string }).flowId;
};

const runOn = async (flowId: string, caseId: string) => {
  const start = await apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
    group: IRM,
    body: { caseId },
  });

  return waitForRun(stack, (start.body.run as { runId: string }).runId);
};

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

describe('the ServiceNow template, end to end', () => {
  it('creates one record after a 429 and notes its number', async () => {
    const flowId = await createFlow({
      fields: {
        short_description: 'Case {{case.name}} for {{user.displayName}}',
        correlation_id: 'irm-{{case.caseId}}-a',
      },
    });
    stack.serviceNow.setMode({ mode: '429', times: 1, retryAfter: 1 });

    const run = await runOn(flowId, 'case-test-1');

    expect(run.status).toBe('SUCCEEDED');
    const records = stack.serviceNow.records('incident');
    expect(records).toHaveLength(1);
    expect(records[0]?.short_description).toBe(
      'Case Data leaks & <script>alert(1)</script> for Zoë Ångström <b>',
    );
    const number = records[0]?.number ?? '';
    expect(run.outcome).toContain(number);
    const notes = (await notesOf('case-test-1')).filter((t) =>
      t.includes(number),
    );
    expect(notes).toHaveLength(1);
  });

  it('creates no second record when the case already has one', async () => {
    const flowId = await createFlow({
      fields: {
        short_description: 'Again',
        correlation_id: 'irm-{{case.caseId}}-a',
      },
    });

    const run = await runOn(flowId, 'case-test-1');

    expect(run.status).toBe('SUCCEEDED');
    expect(stack.serviceNow.records('incident')).toHaveLength(1);
    expect((await notesOf('case-test-1')).join('\n')).toContain(
      'already existed',
    );
  });

  it('fails the run with a clear reason and a case note on 401', async () => {
    const flowId = await createFlow({
      fields: {
        short_description: 'x',
        correlation_id: 'irm-{{case.caseId}}-b',
      },
    });
    stack.serviceNow.setMode({ mode: '401' });

    const run = await runOn(flowId, 'case-test-1');
    stack.serviceNow.setMode({ mode: 'ok' });

    expect(run.status).toBe('FAILED');
    expect(run.error).toContain('ServiceNow refused the credentials (401)');
    expect((await notesOf('case-test-1')).join('\n')).toMatch(
      /Flow "Open an incident" failed: ServiceNow refused the request/,
    );
    expect(stack.serviceNow.records('incident')).toHaveLength(1);
  });

  it('refuses a mapping with an unknown path when the flow is saved', async () => {
    const answer = await apiCall(stack, 'POST', '/flows', {
      group: IRM,
      body: {
        templateId: 'servicenow-record',
        name: 'Broken',
        settings: { fields: { short_description: '{{case.title}}' } },
      },
    });

    expect(answer.status).toBe(400);
    expect((answer.body.fields as { field: string }[])[0]?.field).toBe(
      'settings.fields.short_description',
    );
  });
});
