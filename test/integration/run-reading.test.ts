import type { LocalStack } from '../../local/stack.js';
import { seedOrganisation } from '../support/seed.js';
import { apiCall, startTestStack, waitForRun } from '../support/stack.js';

/*
 * Who reads runs, and runs whose execution ended where the flow could not
 * record it. Waits last a minute here, so a request-info run stays in its
 * first wait for the length of a test.
 */

const IRM = 'InsiderRiskManagement';
const ADMIN = 'InsiderRiskManagementAdmins';
const ANALYST = 'InsiderRiskManagementAnalysts';
const INVESTIGATOR = 'InsiderRiskManagementInvestigators';
const AUDITOR = 'InsiderRiskManagementAuditors';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({ waitOverrideMs: 60_000, pseudonymise: false });
  await seedOrganisation();
});

afterAll(async () => {
  await stack.close();
});

/** Creates a flow as InsiderRiskManagement and shares it with groups. */
const sharedFlow = async (
  body: Record<string, unknown>,
  groups: string[],
): Promise<string> => {
  const created = await apiCall(stack, 'POST', '/flows', { group: IRM, body });
  const flowId = (created.body.flow as { flowId: string }).flowId;
  await apiCall(stack, 'POST', `/flows/${flowId}/share`, {
    group: IRM,
    body: { groups },
  });

  return flowId;
};

const startRun = async (
  flowId: string,
  target: Record<string, string>,
): Promise<string> => {
  const start = await apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
    group: IRM,
    body: target,
  });

  return (start.body.run as { runId: string }).runId;
};

/** Waits until the run's execution has entered a state. */
const waitForStep = async (runId: string, name: string): Promise<void> => {
  for (let tries = 0; tries < 400; tries += 1) {
    const { body } = await apiCall(stack, 'GET', `/runs/${runId}`, {
      group: IRM,
    });
    const steps = (body.run as { steps: { name: string }[] }).steps;
    if (steps.some((step) => step.name === name)) return;
    await new Promise((done) => setTimeout(done, 25));
  }
  throw new Error(`Run ${runId} never reached ${name}`);
};

const stopExecution = async (runId: string): Promise<void> => {
  const { sfn } = await import('../../functions/domain/clients.js');
  const { StopExecutionCommand } = await import('@aws-sdk/client-sfn');
  const { requireRun } = await import('../../functions/domain/runs.js');
  const run = await requireRun(runId);
  await sfn.send(
    new StopExecutionCommand({
      executionArn: run.executionArn,
      cause: 'Stopped from the console',
    }),
  );
};

describe('who reads runs', () => {
  let caseFlow: string;
  let caseRun: string;

  beforeAll(async () => {
    caseFlow = await sharedFlow(
      { templateId: 'notify-manager', name: 'Runs readers' },
      [ADMIN, ANALYST],
    );
    caseRun = await startRun(caseFlow, { caseId: 'case-test-1' });
    await waitForRun(stack, caseRun);
  });

  it('lets a case reader who sees the flow read its runs', async () => {
    const run = await apiCall(stack, 'GET', `/runs/${caseRun}`, {
      group: ANALYST,
    });
    const list = await apiCall(stack, 'GET', `/flows/${caseFlow}/runs`, {
      group: ANALYST,
    });

    expect(run.status).toBe(200);
    expect(list.status).toBe(200);
    expect(list.body.runs).toHaveLength(1);
  });

  it('hides a case flow run from an Admin who sees the flow but not cases', async () => {
    const run = await apiCall(stack, 'GET', `/runs/${caseRun}`, {
      group: ADMIN,
    });
    const list = await apiCall(stack, 'GET', `/flows/${caseFlow}/runs`, {
      group: ADMIN,
    });

    expect(run.status).toBe(404);
    expect(run.body.message).toBe(`No run ${caseRun}`);
    expect(JSON.stringify(run.body)).not.toContain('case-test-1');
    expect(list.status).toBe(403);
    expect(JSON.stringify(list.body)).not.toContain('case-test-1');
  });

  it('hides a user flow run from an Admin who sees the flow', async () => {
    const flowId = await sharedFlow(
      { templateId: 'notify-users', name: 'User runs readers' },
      [ADMIN],
    );
    await apiCall(stack, 'POST', '/policies/pol-leaks/users', {
      group: ADMIN,
      body: { userId: 'usr002' },
    });
    const runId = await startRun(flowId, {
      userId: 'usr002',
      policyId: 'pol-leaks',
    });
    await waitForRun(stack, runId);

    const run = await apiCall(stack, 'GET', `/runs/${runId}`, {
      group: ADMIN,
    });
    const list = await apiCall(stack, 'GET', `/flows/${flowId}/runs`, {
      group: ADMIN,
    });

    expect(run.status).toBe(404);
    expect(list.status).toBe(403);
  });

  it('answers 404 for a run of a flow the caller cannot see', async () => {
    const answer = await apiCall(stack, 'GET', `/runs/${caseRun}`, {
      group: INVESTIGATOR,
    });

    expect(answer.status).toBe(404);
    expect(answer.body.message).toBe(`No run ${caseRun}`);
  });

  it('lets auditors read any run', async () => {
    const run = await apiCall(stack, 'GET', `/runs/${caseRun}`, {
      group: AUDITOR,
    });
    const list = await apiCall(stack, 'GET', `/flows/${caseFlow}/runs`, {
      group: AUDITOR,
    });

    expect(run.status).toBe(200);
    expect(list.body.runs).toHaveLength(1);
  });
});

describe('runs whose execution ended outside the flow', () => {
  let flowId: string;

  beforeAll(async () => {
    flowId = await sharedFlow(
      {
        templateId: 'request-info',
        name: 'Stopped in the console',
        settings: { stakeholders: [{ email: 'hr.partner@example.test' }] },
      },
      [],
    );
  });

  it('records a run stopped in Step Functions as ABORTED when read', async () => {
    const runId = await startRun(flowId, { caseId: 'case-test-1' });
    await waitForStep(runId, 'WaitForReminder');
    await stopExecution(runId);

    const answer = await apiCall(stack, 'GET', `/runs/${runId}`, {
      group: IRM,
    });

    const run = answer.body.run as Record<string, unknown>;
    expect(run).toMatchObject({
      status: 'ABORTED',
      outcome: 'Stopped in Step Functions.',
      finishedAt: expect.any(String),
    });
    const steps = run.steps as { name: string; status: string }[];
    expect(steps.filter((step) => step.status === 'running')).toEqual([]);
    expect(steps.at(-1)).toMatchObject({
      name: 'WaitForReminder',
      status: 'stopped',
    });
  });

  it('records the ending of a stopped run when its flow runs are listed', async () => {
    const runId = await startRun(flowId, { caseId: 'case-test-1' });
    await waitForStep(runId, 'WaitForReminder');
    await stopExecution(runId);

    const answer = await apiCall(stack, 'GET', `/flows/${flowId}/runs`, {
      group: IRM,
    });

    const runs = answer.body.runs as Record<string, unknown>[];
    expect(runs.find((run) => run.runId === runId)).toMatchObject({
      status: 'ABORTED',
      finishedAt: expect.any(String),
    });
  });
});
