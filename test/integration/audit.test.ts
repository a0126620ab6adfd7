import { parse } from 'csv-parse/sync';
import type { LocalStack } from '../../local/stack.js';
import { seedOrganisation } from '../support/seed.js';
import { apiCall, startTestStack, waitForRun } from '../support/stack.js';

const IRM = 'InsiderRiskManagement';
const ADMIN = 'InsiderRiskManagementAdmins';
const ANALYST = 'InsiderRiskManagementAnalysts';
const INVESTIGATOR = 'InsiderRiskManagementInvestigators';
const AUDITOR = 'InsiderRiskManagementAuditors';

interface Event {
  actor: { userId: string; groups: string[] };
  category: string;
  action: string;
  target: { type: string; id: string };
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

let stack: LocalStack;
let flowId: string;

const events = async (query = ''): Promise<Event[]> => {
  const answer = await apiCall(stack, 'GET', `/audit${query}`, {
    group: AUDITOR,
  });
  expect(answer.status).toBe(200);

  return answer.body.events as Event[];
};

beforeAll(async () => {
  stack = await startTestStack({ pseudonymise: false });
  await seedOrganisation();
  await apiCall(stack, 'POST', '/cases/case-test-1/notes', {
    group: INVESTIGATOR,
    body: { text: 'Reviewed the alerts.' },
  });
  await apiCall(stack, 'POST', '/alerts/alert-test-new/confirm', {
    group: ANALYST,
  });
  await apiCall(stack, 'POST', '/policies/pol-leaks/users', {
    group: ADMIN,
    body: { userId: 'usr002' },
  });
  const created = await apiCall(stack, 'POST', '/settings/flows', {
    group: ADMIN,
    body: { templateId: 'notify-manager', name: 'Before' },
  });
  flowId = (created.body.flow as { flowId: string }).flowId;
  await apiCall(stack, 'PATCH', `/settings/flows/${flowId}`, {
    group: ADMIN,
    body: { name: 'After' },
  });
  await apiCall(stack, 'POST', `/settings/flows/${flowId}/share`, {
    group: ADMIN,
    body: { groups: [IRM] },
  });
  const start = await apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
    group: IRM,
    body: { caseId: 'case-test-1' },
  });
  await waitForRun(stack, (start.body.run as { runId: string }).runId);
  await apiCall(stack, 'DELETE', `/flows/${flowId}`, { group: IRM });
});

afterAll(async () => {
  await stack.close();
});

describe('the audit log', () => {
  it('records each kind of change with who, what and the target', async () => {
    const recorded = await events();

    const actions = recorded.map((event) => [event.category, event.action]);
    expect(actions).toEqual(
      expect.arrayContaining([
        ['settings', 'privacy.turned-off'],
        ['cases', 'note.added'],
        ['cases', 'case.opened'],
        ['alerts', 'alert.confirmed'],
        ['policies', 'policy.user-added'],
        ['flows', 'flow.created'],
        ['flows', 'flow.edited'],
        ['flows', 'flow.shared'],
        ['flows', 'flow.deleted'],
        ['runs', 'run.started'],
        ['runs', 'run.succeeded'],
      ]),
    );
    const note = recorded.find((event) => event.action === 'note.added');
    expect(note?.actor).toEqual({
      userId: 'demo-investigators',
      groups: [INVESTIGATOR],
    });
    expect(note?.target).toEqual({ type: 'case', id: 'case-test-1' });
  });

  it('keeps before and after of a flow edit', async () => {
    const [edit] = (await events('?category=flows')).filter(
      (event) => event.action === 'flow.edited',
    );

    expect(edit?.before?.name).toBe('Before');
    expect(edit?.after?.name).toBe('After');
  });

  it('filters by category, actor and target', async () => {
    const flows = await events('?category=flows');
    const byAdmin = await events('?actor=demo-admins');
    const onFlow = await events(`?target=${flowId}`);

    expect(new Set(flows.map((event) => event.category))).toEqual(
      new Set(['flows']),
    );
    expect(new Set(byAdmin.map((event) => event.actor.userId))).toEqual(
      new Set(['demo-admins']),
    );
    expect(onFlow.length).toBeGreaterThanOrEqual(4);
    expect(new Set(onFlow.map((event) => event.target.id))).toEqual(
      new Set([flowId]),
    );
  });

  it('exports the same events as CSV', async () => {
    const listed = await events();

    const response = await fetch(`${stack.apiUrl}/audit/export`, {
      headers: { authorization: `Bearer ${stack.tokens[AUDITOR]}` },
    });

    expect(response.headers.get('content-type')).toContain('text/csv');
    const rows = parse(await response.text(), { columns: true }) as Record<
      string,
      string
    >[];
    expect(rows).toHaveLength(listed.length);
    const edit = rows.find((row) => row.action === 'flow.edited');
    expect(JSON.parse(edit?.before ?? '{}').name).toBe('Before');
    expect(edit?.actor).toBe('demo-admins');
  });

  it('refuses a range that runs backwards with 400', async () => {
    const answer = await apiCall(
      stack,
      'GET',
      '/audit?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z',
      { group: AUDITOR },
    );

    expect(answer.status).toBe(400);
  });

  it('lets auditors read the runs of a deleted flow', async () => {
    const answer = await apiCall(stack, 'GET', `/flows/${flowId}/runs`, {
      group: AUDITOR,
    });

    expect(answer.status).toBe(200);
    expect(answer.body.runs).toHaveLength(1);
  });
});
