import type { LocalStack } from '../../local/stack.js';
import { seedOrganisation } from '../support/seed.js';
import { apiCall, startTestStack } from '../support/stack.js';

/*
 * What the flow routes accept: settings merged on edit and checked as a
 * whole, text without control characters, sharing only with role groups
 * that reach the door, ServiceNow mappings that can create a record, and
 * Idempotency-Keys that name one request. Every refusal is a 400 (or 409)
 * that changes nothing.
 */

const IRM = 'InsiderRiskManagement';
const ADMIN = 'InsiderRiskManagementAdmins';
const ANALYST = 'InsiderRiskManagementAnalysts';
const APPROVER = 'InsiderRiskManagementApprovers';
const HR = { email: 'hr.partner@example.test', name: 'HR partner' };

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
  await seedOrganisation();
  const cases = await import('../../functions/domain/cases.js');
  await cases.putCaseIfAbsent({
    caseId: 'case-test-2',
    name: 'A second case',
    status: 'Active',
    userId: 'usr002',
    openedAt: '2026-11-02T09:00:00.000Z',
    updatedAt: '2026-11-02T09:00:00.000Z',
    updatedBy: 'seed',
  });
});

afterAll(async () => {
  // The runs started here end before the stack closes under them.
  await stack.stepFunctions.idle();
  await stack.streams.settled();
  await stack.close();
});

interface FlowView {
  flowId: string;
  revision: number;
  settings: Record<string, unknown>;
  ownerGroups: string[];
}

const createFlow = (body: Record<string, unknown>, group = IRM) =>
  apiCall(stack, 'POST', '/flows', { group, body });

const createdFlow = async (body: Record<string, unknown>) => {
  const answer = await createFlow(body);
  if (answer.status !== 201) {
    throw new Error(`Flow not created: ${JSON.stringify(answer.body)}`);
  }

  return answer.body.flow as FlowView;
};

const readFlow = async (flowId: string): Promise<FlowView> => {
  const answer = await apiCall(stack, 'GET', `/flows/${flowId}`, {
    group: IRM,
  });

  return answer.body.flow as FlowView;
};

const myFlowNames = async (): Promise<string[]> => {
  const answer = await apiCall(stack, 'GET', '/flows', { group: IRM });

  return (answer.body.myFlows as { name: string }[]).map((flow) => flow.name);
};

const fieldsOf = (body: Record<string, unknown>): string[] =>
  (body.fields as { field: string }[]).map((problem) => problem.field);

const askHr = {
  templateId: 'request-info',
  name: 'Ask HR',
  settings: {
    stakeholders: [HR],
    reminderAfterHours: 24,
    deadlineAfterHours: 48,
  },
};

describe('editing a flow', () => {
  it('changes only the settings a PATCH names', async () => {
    const flow = await createdFlow(askHr);

    const answer = await apiCall(stack, 'PATCH', `/flows/${flow.flowId}`, {
      group: IRM,
      body: { settings: { subject: 'New subject' } },
    });

    expect(answer.status).toBe(200);
    expect((answer.body.flow as FlowView).settings).toEqual({
      ...flow.settings,
      subject: 'New subject',
    });
    expect((answer.body.flow as FlowView).settings).toMatchObject({
      stakeholders: [HR],
      reminderAfterHours: 24,
      deadlineAfterHours: 48,
    });
  });

  it('checks the merged settings, so a reminder after the deadline is refused', async () => {
    const flow = await createdFlow(askHr);

    const answer = await apiCall(stack, 'PATCH', `/flows/${flow.flowId}`, {
      group: IRM,
      body: { settings: { reminderAfterHours: 60 } },
    });

    expect(answer.status).toBe(400);
    expect(fieldsOf(answer.body)).toEqual(['settings.reminderAfterHours']);
    expect(await readFlow(flow.flowId)).toEqual(flow);
  });
});

describe('a request-info flow without stakeholders', () => {
  it.each([
    ['no stakeholders setting', {}],
    ['an empty list', { stakeholders: [] }],
  ])('is refused with %s', async (_case, settings) => {
    const answer = await createFlow({
      templateId: 'request-info',
      name: 'Asks nobody',
      settings,
    });

    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain(
      'settings.stakeholders: add at least one stakeholder',
    );
    expect(answer.body.fields).toEqual([
      {
        field: 'settings.stakeholders',
        problem: 'add at least one stakeholder',
      },
    ]);
    expect(await myFlowNames()).not.toContain('Asks nobody');
  });

  it('still shows the template defaults', async () => {
    const answer = await apiCall(stack, 'GET', '/templates', { group: IRM });

    expect(answer.status).toBe(200);
    const templates = answer.body.templates as {
      templateId: string;
      defaults: Record<string, unknown>;
    }[];
    const requestInfo = templates.find((t) => t.templateId === 'request-info');
    expect(requestInfo?.defaults.stakeholders).toEqual([]);
  });
});

describe('text the flow routes take', () => {
  const LINE_PROBLEM = expect.stringContaining('must be one line of text');

  it.each([
    ['a NUL in the name', { ...askHr, name: 'Ask\u0000HR' }, 'name'],
    ['an ESC in the name', { ...askHr, name: '\u001b[31mAsk HR' }, 'name'],
    [
      'a header in the subject',
      {
        ...askHr,
        settings: {
          ...askHr.settings,
          subject: 'Hi\r\nBcc: evil@attacker.example\r\n\r\nbody',
        },
      },
      'settings.subject',
    ],
    [
      'a line break in an answer option',
      {
        ...askHr,
        settings: { ...askHr.settings, responseOptions: ['Yes\nNo'] },
      },
      'settings.responseOptions.0',
    ],
    [
      'a carriage return in a stakeholder name',
      {
        ...askHr,
        settings: {
          ...askHr.settings,
          stakeholders: [{ ...HR, name: 'HR\rpartner' }],
        },
      },
      'settings.stakeholders.0.name',
    ],
  ])('refuses %s, naming the field', async (_case, body, field) => {
    const before = await myFlowNames();

    const answer = await createFlow(body);

    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual([{ field, problem: LINE_PROBLEM }]);
    expect(await myFlowNames()).toEqual(before);
  });

  it('refuses a lone surrogate in the name as broken Unicode', async () => {
    const answer = await createFlow({ ...askHr, name: 'Ask \ud800 HR' });

    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual([
      { field: 'name', problem: expect.stringContaining('well-formed') },
    ]);
  });

  it('refuses a carriage return in the message but keeps line feeds and tabs', async () => {
    const settings = { ...askHr.settings, message: 'Hello\r\nthere' };

    const refused = await createFlow({ ...askHr, settings });
    const accepted = await createFlow({
      ...askHr,
      name: 'Ask HR in lines',
      settings: { ...settings, message: 'Hello\n\tthere' },
    });

    expect(refused.status).toBe(400);
    expect(fieldsOf(refused.body)).toEqual(['settings.message']);
    expect(accepted.status).toBe(201);
    expect((accepted.body.flow as FlowView).settings.message).toBe(
      'Hello\n\tthere',
    );
  });

  it('refuses a control character in a custom flow name', async () => {
    const answer = await createFlow({
      templateId: 'custom',
      name: 'Custom\u0007',
      target: 'case',
      definition: { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } },
    });

    expect(answer.status).toBe(400);
    expect(fieldsOf(answer.body)).toEqual(['name']);
  });

  it('refuses a control character in a new name on edit', async () => {
    const flow = await createdFlow({ ...askHr, name: 'Ask HR to rename' });

    const answer = await apiCall(stack, 'PATCH', `/flows/${flow.flowId}`, {
      group: IRM,
      body: { name: 'Renamed\u001b' },
    });

    expect(answer.status).toBe(400);
    expect(fieldsOf(answer.body)).toEqual(['name']);
    expect(await readFlow(flow.flowId)).toEqual(flow);
  });
});

describe('sharing a flow', () => {
  const share = (door: string, flowId: string, groups: string[]) =>
    apiCall(stack, 'POST', `${door}/${flowId}/share`, {
      group: IRM,
      body: { groups },
    });

  it('refuses a role group without flow rights at the dashboard door', async () => {
    const flow = await createdFlow({ ...askHr, name: 'Shared flow' });

    const refused = await share('/flows', flow.flowId, [APPROVER]);
    const shared = await share('/flows', flow.flowId, [ANALYST]);

    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain(APPROVER);
    expect(refused.body.fields).toEqual([
      { field: 'groups', problem: expect.stringContaining(APPROVER) },
    ]);
    expect(shared.status).toBe(200);
    expect((shared.body.flow as FlowView).ownerGroups).toEqual([ANALYST]);
  });

  it('refuses a role group that cannot reach the settings door there', async () => {
    const flow = await createdFlow({ ...askHr, name: 'Settings flow' });

    const refused = await share('/settings/flows', flow.flowId, [ANALYST]);
    const shared = await share('/settings/flows', flow.flowId, [ADMIN]);

    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain(ANALYST);
    expect(refused.body.message).toContain('/settings/flows');
    expect(shared.status).toBe(200);
    expect((shared.body.flow as FlowView).ownerGroups).toEqual([ADMIN]);
  });
});

describe('a ServiceNow flow', () => {
  const servicenow = (settings: Record<string, unknown>) => ({
    templateId: 'servicenow-record',
    name: 'Open a record',
    settings,
  });

  it.each([
    ['an empty mapping', { fields: {} }, 'settings.fields'],
    ['a system table', { table: 'sys_user' }, 'settings.table'],
  ])('refuses %s, naming the field', async (_case, settings, field) => {
    const before = await myFlowNames();

    const answer = await createFlow(servicenow(settings));

    expect(answer.status).toBe(400);
    expect(fieldsOf(answer.body)).toEqual([field]);
    expect(await myFlowNames()).toEqual(before);
  });

  it('refuses a system table on edit and keeps the flow as it was', async () => {
    const flow = await createdFlow(servicenow({}));

    const answer = await apiCall(stack, 'PATCH', `/flows/${flow.flowId}`, {
      group: IRM,
      body: { settings: { table: 'sys_user_group' } },
    });

    expect(answer.status).toBe(400);
    expect(fieldsOf(answer.body)).toEqual(['settings.table']);
    expect((await readFlow(flow.flowId)).settings.table).toBe('incident');
  });

  it('says what a mapping without correlation_id means', async () => {
    const mapped = await createFlow(servicenow({}));
    const perRun = await createFlow(
      servicenow({ fields: { short_description: 'Case {{case.caseId}}' } }),
    );

    expect(mapped.status).toBe(201);
    expect(mapped.body.notice).toBeUndefined();
    expect(perRun.status).toBe(201);
    expect(perRun.body.notice).toContain(
      'each run creates its own ServiceNow record',
    );
  });
});

describe('starting a run with an Idempotency-Key', () => {
  let flowId: string;

  beforeAll(async () => {
    const flow = await createdFlow({
      templateId: 'notify-manager',
      name: 'Tell the manager',
    });
    flowId = flow.flowId;
  });

  const start = (key: string, caseId: string) =>
    apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
      group: IRM,
      body: { caseId },
      headers: { 'idempotency-key': key },
    });

  const runCount = async (): Promise<number> => {
    const answer = await apiCall(stack, 'GET', `/flows/${flowId}/runs`, {
      group: IRM,
    });

    return (answer.body.runs as unknown[]).length;
  };

  it('refuses the key used for a run on another case with 409', async () => {
    const first = await start('run-key-0001', 'case-test-1');
    const runs = await runCount();

    const other = await start('run-key-0001', 'case-test-2');
    const again = await start('run-key-0001', 'case-test-1');

    expect(first.status).toBe(202);
    expect(other.status).toBe(409);
    expect(other.body.message).toContain('used for another request');
    expect(again.status).toBe(202);
    expect(again.body.repeated).toBe(true);
    expect((again.body.run as { runId: string }).runId).toBe(
      (first.body.run as { runId: string }).runId,
    );
    expect(await runCount()).toBe(runs);
  });

  it('answers the same run to the same request sent at once', async () => {
    const answers = await Promise.all(
      [1, 2, 3].map(() => start('run-key-0002', 'case-test-2')),
    );

    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202]);
    const runIds = answers.map(
      (answer) => (answer.body.run as { runId: string }).runId,
    );
    expect(new Set(runIds).size).toBe(1);
    expect(answers.filter((answer) => !answer.body.repeated)).toHaveLength(1);
  });
});
