import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeStateMachineCommand,
  ListStateMachinesCommand,
  SFNClient,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
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
const CASE_ID = 'case-test-1';
const MACHINE_PREFIX =
  'arn:aws:states:us-east-1:000000000000:stateMachine:irm-local-custom-';

let stack: LocalStack;
let sfn: SFNClient;

beforeAll(async () => {
  // Long enough for a run to be caught in its Wait state and stopped.
  stack = await startTestStack({ waitOverrideMs: 3_000 });
  await seedOrganisation();
  sfn = new SFNClient({
    endpoint: stack.stepFunctionsUrl,
    region: 'us-east-1',
  });
});

afterAll(async () => {
  sfn.destroy();
  await stack.close();
});

/** The documented example, read from the same file as the docs link. */
const exampleText = (name: string): string =>
  readFileSync(
    join(process.cwd(), 'docs', 'examples', `${name}.asl.json`),
    'utf8',
  );

const example = (name: string): Record<string, unknown> =>
  JSON.parse(exampleText(name)) as Record<string, unknown>;

interface FlowView {
  flowId: string;
  revision: number;
  name: string;
  templateId: string;
  settings: Record<string, unknown>;
  definition: string;
}

const createCustom = (
  name: string,
  definition: unknown,
  headers: Record<string, string> = {},
) =>
  apiCall(stack, 'POST', '/flows', {
    group: IRM,
    body: { templateId: 'custom', name, target: 'case', definition },
    headers,
  });

const createdFlow = async (
  name: string,
  definition: unknown,
): Promise<FlowView> => {
  const answer = await createCustom(name, definition);
  if (answer.status !== 201) {
    throw new Error(`Flow not created: ${JSON.stringify(answer.body)}`);
  }

  return answer.body.flow as FlowView;
};

const startRunOn = async (flowId: string, caseId = CASE_ID) => {
  const start = await apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
    group: IRM,
    body: { caseId },
  });

  return (start.body.run as { runId: string }).runId;
};

const runToEnd = async (flowId: string, caseId = CASE_ID) =>
  waitForRun(stack, await startRunOn(flowId, caseId));

interface NoteView {
  text: string;
  author: { kind: string; userId: string; flowId?: string; runId?: string };
}

const notesOfRun = async (runId: string): Promise<NoteView[]> => {
  const answer = await apiCall(
    stack,
    'GET',
    `/cases/${CASE_ID}/notes?limit=100`,
    { group: IRM },
  );

  return (answer.body.notes as NoteView[]).filter(
    (note) => note.author.runId === runId,
  );
};

/** The deployed definition of a flow's machine; undefined once deleted. */
const machineOf = async (flowId: string): Promise<string | undefined> => {
  try {
    const machine = await sfn.send(
      new DescribeStateMachineCommand({
        stateMachineArn: `${MACHINE_PREFIX}${flowId}`,
      }),
    );

    return machine.definition;
  } catch (error) {
    if (error instanceof StateMachineDoesNotExist) return undefined;
    throw error;
  }
};

const setPseudonymisation = async (on: boolean): Promise<void> => {
  const answer = await apiCall(stack, 'PUT', '/settings/privacy', {
    group: IRM,
    body: { pseudonymise: on },
  });
  expect(answer.status).toBe(200);
};

describe('custom flows on the local stack', () => {
  it('runs the high-alerts example on a case and notes its High alerts', async () => {
    const flow = await createdFlow('High alerts', example('high-alerts-note'));

    const run = await runToEnd(flow.flowId);

    expect(flow).toMatchObject({ templateId: 'custom', revision: 1 });
    expect(flow.settings).toEqual({ target: 'case' });
    expect(await machineOf(flow.flowId)).toContain('irm-local-get-alerts');
    expect(run.status).toBe('SUCCEEDED');
    expect(run.outcome).toBe('The custom flow ran to its end.');
    expect((run.steps as { name: string }[]).map((s) => s.name)).toEqual(
      expect.arrayContaining([
        'GetHighAlerts',
        'NoteHighAlerts',
        'IrmRecordSuccess',
      ]),
    );
    const notes = await notesOfRun(run.runId as string);
    expect(notes).toHaveLength(1);
    expect(notes[0]?.text).toContain('High-severity alerts on this case: 1.');
    expect(notes[0]?.text).toContain('alert-test-0 - General data leaks');
    expect(notes[0]?.author).toMatchObject({
      kind: 'flow',
      userId: run.startedBy,
      flowId: flow.flowId,
    });
  });

  it('stops the digest example before any email while pseudonymisation is on', async () => {
    const flow = await createdFlow(
      'Manager digest',
      exampleText('manager-digest'),
    );
    const before = (await mailbox(stack)).length;

    const run = await runToEnd(flow.flowId);

    expect(run.status).toBe('FAILED');
    expect(String(run.error)).toMatch(/privacy/i);
    expect(await mailbox(stack)).toHaveLength(before);
  });

  it('emails the case user manager a digest once pseudonymisation is off', async () => {
    await setPseudonymisation(false);
    const flow = await createdFlow(
      'Manager digest',
      exampleText('manager-digest'),
    );

    const run = await runToEnd(flow.flowId);
    await setPseudonymisation(true);

    expect(run.status).toBe('SUCCEEDED');
    const emails = (await mailbox(stack)).filter((email) =>
      email.destination.to.includes('maren.okafor@example.test'),
    );
    expect(emails.length).toBeGreaterThan(0);
    const notes = await notesOfRun(run.runId as string);
    expect(notes.map((note) => note.text)).toEqual([
      expect.stringContaining('email to the manager sent'),
    ]);
  });

  it('refuses a note state that names a case, saying which state', async () => {
    const answer = await createCustom('Writes elsewhere', {
      StartAt: 'Note',
      States: {
        Note: {
          Type: 'Task',
          Resource: 'irm:addCaseNote',
          Parameters: { caseId: 'case-OTHER', text: 'injected', noteKey: 'k' },
          End: true,
        },
      },
    });

    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual([
      {
        field: 'definition.States.Note.Parameters.caseId',
        problem: 'is set by the run; remove it',
      },
    ]);
  });

  it('refuses a case note in a flow for a selected user', async () => {
    const answer = await apiCall(stack, 'POST', '/flows', {
      group: IRM,
      body: {
        templateId: 'custom',
        name: 'Notes on no case',
        target: 'user',
        definition: {
          StartAt: 'Note',
          States: {
            Note: {
              Type: 'Task',
              Resource: 'irm:addCaseNote',
              Parameters: { text: 'Which case?' },
              End: true,
            },
          },
        },
      },
    });

    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual([
      expect.objectContaining({ field: 'definition.States.Note' }),
    ]);
  });

  it('runs a user flow on a user, with the user and the policy in its input', async () => {
    // Pseudonymisation is on: the API takes the user by alias only.
    const { aliasOf } = await import('../../functions/domain/privacy.js');
    const alias = await aliasOf('usr001');
    await apiCall(stack, 'POST', '/policies/pol-leaks/users', {
      group: IRM,
      body: { userId: alias },
    });
    const answer = await apiCall(stack, 'POST', '/flows', {
      group: IRM,
      body: {
        templateId: 'custom',
        name: 'Look the user up',
        target: 'user',
        definition: {
          StartAt: 'GetUser',
          States: {
            GetUser: {
              Type: 'Task',
              Resource: 'irm:getUser',
              Parameters: { 'userId.$': '$.userId' },
              End: true,
            },
          },
        },
      },
    });
    const flowId = (answer.body.flow as FlowView).flowId;

    const onCase = await apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
      group: IRM,
      body: { caseId: CASE_ID },
    });
    const start = await apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
      group: IRM,
      body: { userId: alias },
    });
    const run = await waitForRun(
      stack,
      (start.body.run as { runId: string }).runId,
    );

    expect(onCase.status).toBe(400);
    expect(run).toMatchObject({
      status: 'SUCCEEDED',
      target: { userId: alias, policyId: 'pol-leaks' },
      steps: expect.arrayContaining([
        expect.objectContaining({ name: 'GetUser', status: 'succeeded' }),
      ]),
    });
  });

  it('records a run that fails in a way Step Functions cannot catch', async () => {
    const flow = await createdFlow('Follows a wrong path', {
      StartAt: 'GetCase',
      States: {
        GetCase: {
          Type: 'Task',
          Resource: 'irm:getCase',
          Parameters: { 'caseId.$': '$.caseId' },
          ResultPath: '$.found',
          Next: 'Note',
        },
        Note: {
          Type: 'Task',
          Resource: 'irm:addCaseNote',
          Parameters: { 'text.$': '$.found.case.nothingHere' },
          End: true,
        },
      },
    });

    const run = await runToEnd(flow.flowId);

    expect(run.status).toBe('FAILED');
    expect(run.error).toContain('no step could catch');
    const notes = await notesOfRun(run.runId as string);
    expect(notes.map((note) => note.text)).toEqual([
      expect.stringContaining('failed'),
    ]);
  });

  it('edits a custom flow into a new version whose machine the next run uses', async () => {
    const flow = await createdFlow('Edited flow', example('high-alerts-note'));
    const changed = exampleText('high-alerts-note').replace(
      'High-severity alerts on this case',
      'Reviewed High alerts',
    );

    const edit = await apiCall(stack, 'PATCH', `/flows/${flow.flowId}`, {
      group: IRM,
      body: { name: 'Edited flow, v2', definition: changed },
    });
    const run = await runToEnd(flow.flowId);

    expect(edit.status).toBe(200);
    const after = edit.body.flow as FlowView;
    expect(after).toMatchObject({ revision: 2, name: 'Edited flow, v2' });
    expect(after.definition).toContain('Reviewed High alerts');
    expect(await machineOf(flow.flowId)).toContain('Reviewed High alerts');
    expect(run.flowVersion).toBe('v000002');
    const notes = await notesOfRun(run.runId as string);
    expect(notes[0]?.text).toContain('Reviewed High alerts: 1.');
    const audit = await apiCall(
      stack,
      'GET',
      `/audit?category=flows&target=${flow.flowId}`,
      { group: IRM },
    );
    const edited = (
      audit.body.events as {
        action: string;
        before: FlowView;
        after: FlowView;
      }[]
    ).find((event) => event.action === 'flow.edited');
    expect(edited?.before.definition).toContain('High-severity alerts');
    expect(edited?.after.definition).toContain('Reviewed High alerts');
  });

  it('refuses an invalid definition with 400 naming the state and creates nothing', async () => {
    const definition = example('high-alerts-note');
    const states = definition.States as Record<string, Record<string, unknown>>;
    states.CallOther = {
      Type: 'Task',
      Resource: 'arn:aws:lambda:us-east-1:000000000000:function:irm-local-api',
      End: true,
    };
    (states.AnyHighAlerts as { Default: string }).Default = 'CallOther';
    const machines = async () =>
      (await sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? [];
    const before = (await machines()).length;

    const answer = await createCustom('Sneaky flow', definition);

    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual([
      {
        field: 'definition.States.CallOther',
        problem: expect.stringContaining('irm:getCase'),
      },
    ]);
    expect(await machines()).toHaveLength(before);
    const flows = await apiCall(stack, 'GET', '/flows', { group: IRM });
    expect(JSON.stringify(flows.body)).not.toContain('Sneaky flow');
  });

  it('deletes a flow and its machine for all; an auditor still reads its run', async () => {
    const flow = await createdFlow('Short-lived', example('high-alerts-note'));
    await apiCall(stack, 'POST', `/flows/${flow.flowId}/share`, {
      group: IRM,
      body: { groups: [AUDITOR] },
    });
    const run = await runToEnd(flow.flowId);

    const removal = await apiCall(stack, 'DELETE', `/flows/${flow.flowId}`, {
      group: IRM,
    });

    expect(removal.status).toBe(200);
    expect(removal.body.stoppedRuns).toEqual([]);
    for (const group of [IRM, AUDITOR]) {
      const seen = await apiCall(stack, 'GET', `/flows/${flow.flowId}`, {
        group,
      });
      expect(seen.status).toBe(404);
    }
    expect(await machineOf(flow.flowId)).toBeUndefined();
    const history = await apiCall(stack, 'GET', `/runs/${run.runId}`, {
      group: AUDITOR,
    });
    expect(history.status).toBe(200);
    expect(history.body.run).toMatchObject({
      status: 'SUCCEEDED',
      steps: expect.arrayContaining([
        expect.objectContaining({ name: 'NoteHighAlerts' }),
      ]),
    });
  });

  it('stops a run in flight when its flow is deleted, and says why', async () => {
    const flow = await createdFlow('Waits first', {
      StartAt: 'WaitADay',
      States: {
        WaitADay: { Type: 'Wait', Seconds: 86_400, Next: 'Note' },
        Note: {
          Type: 'Task',
          Resource: 'irm:addCaseNote',
          Parameters: { text: 'A day later' },
          End: true,
        },
      },
    });
    const runId = await startRunOn(flow.flowId);

    const removal = await apiCall(stack, 'DELETE', `/flows/${flow.flowId}`, {
      group: IRM,
    });
    const run = await waitForRun(stack, runId);

    expect(removal.body.stoppedRuns).toEqual([runId]);
    expect(run.status).toBe('ABORTED');
    expect(run.outcome).toContain('the flow was deleted');
    await stack.stepFunctions.idle();
    expect(await notesOfRun(runId)).toEqual([]);
  });

  it('records a failed run, with a case note, when a step of the definition fails', async () => {
    const flow = await createdFlow('Reads a missing alert', {
      StartAt: 'GetAlert',
      States: {
        GetAlert: {
          Type: 'Task',
          Resource: 'irm:getAlert',
          Parameters: { alertId: 'alert-that-is-not-there' },
          End: true,
        },
      },
    });

    const run = await runToEnd(flow.flowId);

    expect(run.status).toBe('FAILED');
    expect(run.error).toContain('no longer exists');
    const notes = await notesOfRun(run.runId as string);
    expect(notes.map((note) => note.text)).toEqual([
      expect.stringContaining('failed'),
    ]);
  });

  it('answers a repeated create with the same Idempotency-Key with the same flow', async () => {
    const headers = { 'idempotency-key': 'custom-create-0001' };
    const definition = example('high-alerts-note');

    const first = await createCustom('Once only', definition, headers);
    const again = await createCustom('Once only', definition, headers);

    expect([first.status, again.status]).toEqual([201, 200]);
    expect((again.body.flow as FlowView).flowId).toBe(
      (first.body.flow as FlowView).flowId,
    );
    expect(again.body.repeated).toBe(true);
  });

  it('never answers the flow of another request sent with the same Idempotency-Key', async () => {
    const headers = { 'idempotency-key': 'custom-create-0002' };
    const definition = example('high-alerts-note');

    const first = await createCustom('Keyed once', definition, headers);
    const other = await createCustom('Keyed again', definition, headers);

    // The flow id comes from the key and the request, so another request
    // is another flow: the key cannot hand back a flow it did not ask for.
    expect([first.status, other.status]).toEqual([201, 201]);
    expect((other.body.flow as FlowView).name).toBe('Keyed again');
    expect((other.body.flow as FlowView).flowId).not.toBe(
      (first.body.flow as FlowView).flowId,
    );
  });

  it('refuses a definition for a template flow and settings for a custom flow', async () => {
    const template = await apiCall(stack, 'POST', '/flows', {
      group: IRM,
      body: { templateId: 'notify-manager', name: 'A template flow' },
    });
    const custom = await createdFlow('Custom', example('high-alerts-note'));
    const templateId = (template.body.flow as FlowView).flowId;

    const onTemplate = await apiCall(stack, 'PATCH', `/flows/${templateId}`, {
      group: IRM,
      body: { definition: example('high-alerts-note') },
    });
    const onCustom = await apiCall(stack, 'PATCH', `/flows/${custom.flowId}`, {
      group: IRM,
      body: { settings: { subject: 'Hello' } },
    });

    expect(onTemplate.status).toBe(400);
    expect(onTemplate.body.fields).toEqual([
      expect.objectContaining({ field: 'definition' }),
    ]);
    expect(onCustom.status).toBe(400);
    expect(onCustom.body.fields).toEqual([
      expect.objectContaining({ field: 'settings' }),
    ]);
  });
});
