import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  type DescribeExecutionOutput,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidDefinition,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineAlreadyExists,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type LambdaResolver,
  type StepFunctionsEndpoint,
  type StepFunctionsOptions,
  startStepFunctions,
} from '../../local/stepfunctions/server.js';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/irm-flows`;

type Handler = (event: unknown) => Promise<unknown>;

const functionArn = (name: string) =>
  `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

/** Lambda handlers of the test, by function ARN; tests add their own. */
const functions = new Map<string, Handler>();
const resolveLambda: LambdaResolver = (arn) => functions.get(arn);

function clientFor(endpoint: StepFunctionsEndpoint): SFNClient {
  return new SFNClient({
    region: REGION,
    endpoint: endpoint.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

function startEndpoint(options: Partial<StepFunctionsOptions> = {}) {
  return startStepFunctions({
    port: 0,
    region: REGION,
    accountId: ACCOUNT,
    resolveLambda,
    waitOverrideMs: 5,
    retryIntervalOverrideMs: 5,
    ...options,
  });
}

/** A promise a handler waits on until the test opens it. */
function createGate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });

  return { opened, open };
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;

  return error;
}

async function createMachine(
  client: SFNClient,
  name: string,
  definition: object,
): Promise<string> {
  const created = await client.send(
    new CreateStateMachineCommand({
      name,
      definition: JSON.stringify(definition),
      roleArn: ROLE_ARN,
    }),
  );

  return created.stateMachineArn ?? '';
}

async function runToEnd(
  client: SFNClient,
  stateMachineArn: string,
  input: object = {},
): Promise<DescribeExecutionOutput> {
  const { executionArn } = await client.send(
    new StartExecutionCommand({
      stateMachineArn,
      input: JSON.stringify(input),
    }),
  );

  return waitForEnd(client, executionArn ?? '');
}

async function waitForEnd(
  client: SFNClient,
  executionArn: string,
): Promise<DescribeExecutionOutput> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const execution = await client.send(
      new DescribeExecutionCommand({ executionArn }),
    );
    if (execution.status !== 'RUNNING' || Date.now() > deadline) {
      return execution;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function historyTypes(client: SFNClient, executionArn: string) {
  const { events = [] } = await client.send(
    new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }),
  );

  return events.map((event) => event.type);
}

function singleTask(resource: string, extra: object = {}) {
  return {
    StartAt: 'Work',
    States: { Work: { Type: 'Task', Resource: resource, End: true, ...extra } },
  };
}

const caseFlow = {
  Comment: 'Pass + Task + Choice + Wait',
  StartAt: 'Prepare',
  States: {
    Prepare: {
      Type: 'Pass',
      Parameters: {
        'caseId.$': '$.caseId',
        'executionId.$': '$$.Execution.Id',
        'executionName.$': '$$.Execution.Name',
        'startTime.$': '$$.Execution.StartTime',
        'originalInput.$': '$$.Execution.Input',
        'machineId.$': '$$.StateMachine.Id',
        'machineName.$': '$$.StateMachine.Name',
      },
      Next: 'GetCase',
    },
    GetCase: {
      Type: 'Task',
      Resource: functionArn('irm-get-case'),
      ResultPath: '$.case',
      Next: 'IsSevere',
    },
    IsSevere: {
      Type: 'Choice',
      Choices: [
        {
          Variable: '$.case.severity',
          StringEquals: 'high',
          Next: 'WaitForReview',
        },
      ],
      Default: 'Done',
    },
    WaitForReview: { Type: 'Wait', Seconds: 259200, Next: 'Done' },
    Done: { Type: 'Succeed' },
  },
};

describe('local Step Functions endpoint', () => {
  let endpoint: StepFunctionsEndpoint;
  let client: SFNClient;

  beforeAll(async () => {
    endpoint = await startEndpoint();
    client = clientFor(endpoint);
    functions.set(functionArn('irm-get-case'), async (event) => ({
      caseId: (event as { caseId: string }).caseId,
      severity: 'high',
    }));
  });

  afterAll(async () => {
    await endpoint.idle();
    client.destroy();
    await endpoint.close();
  });

  it('runs a Pass, Task, Choice and Wait flow to its output', async () => {
    const arn = await createMachine(client, 'case-flow', caseFlow);

    const execution = await runToEnd(client, arn, { caseId: 'case-1' });

    expect(execution.status).toBe('SUCCEEDED');
    const output = JSON.parse(execution.output ?? 'null');
    expect(output.case).toEqual({ caseId: 'case-1', severity: 'high' });
    expect(output).toMatchObject({
      caseId: 'case-1',
      executionId: execution.executionArn,
      executionName: execution.name,
      originalInput: { caseId: 'case-1' },
      machineId: arn,
      machineName: 'case-flow',
    });
    expect(Date.parse(output.startTime)).toBeGreaterThan(0);
    expect(execution.stopDate).toBeInstanceOf(Date);
  });

  it('records the history with AWS event types and details', async () => {
    const arn = await createMachine(client, 'case-flow', caseFlow);
    const { executionArn = '' } = await runToEnd(client, arn, { caseId: 'c2' });

    const types = await historyTypes(client, executionArn);
    const { events = [] } = await client.send(
      new GetExecutionHistoryCommand({ executionArn }),
    );

    expect(types).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((event) => event.id)).toEqual(types.map((_, i) => i + 1));
    const scheduled = events[4]?.lambdaFunctionScheduledEventDetails;
    expect(scheduled?.resource).toBe(functionArn('irm-get-case'));
    expect(events[3]?.stateEnteredEventDetails?.name).toBe('GetCase');
    expect(events[0]?.timestamp).toBeInstanceOf(Date);
  });

  it('pages the history in reverse order', async () => {
    const arn = await createMachine(client, 'case-flow', caseFlow);
    const { executionArn = '' } = await runToEnd(client, arn, { caseId: 'c3' });

    const first = await client.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 10,
        reverseOrder: true,
      }),
    );
    const second = await client.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 10,
        reverseOrder: true,
        nextToken: first.nextToken,
      }),
    );

    expect(first.events?.[0]?.type).toBe('ExecutionSucceeded');
    expect(first.events).toHaveLength(10);
    expect(second.events).toHaveLength(5);
    expect(second.nextToken).toBeUndefined();
    expect(second.events?.at(-1)?.type).toBe('ExecutionStarted');
  });

  it('returns the same ARN when a machine is created again unchanged', async () => {
    const first = await createMachine(client, 'same-flow', caseFlow);

    const second = await createMachine(client, 'same-flow', caseFlow);

    expect(second).toBe(first);
    expect(first).toBe(
      `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:same-flow`,
    );
  });

  it('refuses a second machine of the same name with another definition', async () => {
    await createMachine(client, 'taken-flow', caseFlow);

    const created = createMachine(
      client,
      'taken-flow',
      singleTask(functionArn('x')),
    );

    await expect(created).rejects.toBeInstanceOf(StateMachineAlreadyExists);
  });

  it('refuses an invalid definition with the validation message', async () => {
    const created = createMachine(client, 'broken-flow', {
      StartAt: 'Missing',
      States: { Only: { Type: 'Pass', End: true } },
    });

    await expect(created).rejects.toBeInstanceOf(InvalidDefinition);
    await expect(created).rejects.toThrow(/Missing/);
  });

  it('runs later executions with an updated definition', async () => {
    const version = (v: number) => ({
      StartAt: 'Answer',
      States: { Answer: { Type: 'Pass', Result: { v }, End: true } },
    });
    const arn = await createMachine(client, 'updated-flow', version(1));

    await client.send(
      new UpdateStateMachineCommand({
        stateMachineArn: arn,
        definition: JSON.stringify(version(2)),
      }),
    );
    const execution = await runToEnd(client, arn);

    expect(JSON.parse(execution.output ?? 'null')).toEqual({ v: 2 });
    const described = await client.send(
      new DescribeStateMachineCommand({ stateMachineArn: arn }),
    );
    expect(JSON.parse(described.definition ?? '{}')).toEqual(version(2));
  });

  it('forgets a deleted machine but keeps listing the others', async () => {
    const kept = await createMachine(client, 'kept-flow', caseFlow);
    const deleted = await createMachine(client, 'deleted-flow', caseFlow);

    await client.send(
      new DeleteStateMachineCommand({ stateMachineArn: deleted }),
    );
    const { stateMachines = [] } = await client.send(
      new ListStateMachinesCommand({}),
    );
    const described = client.send(
      new DescribeStateMachineCommand({ stateMachineArn: deleted }),
    );

    const arns = stateMachines.map((machine) => machine.stateMachineArn);
    expect(arns).toContain(kept);
    expect(arns).not.toContain(deleted);
    await expect(described).rejects.toBeInstanceOf(StateMachineDoesNotExist);
  });

  it('answers a repeated start of a running execution with the same execution', async () => {
    const gate = createGate();
    functions.set(functionArn('irm-gated'), async () => gate.opened);
    const arn = await createMachine(
      client,
      'gated-flow',
      singleTask(functionArn('irm-gated')),
    );
    const start = {
      stateMachineArn: arn,
      name: 'case-7',
      input: '{"caseId":"7"}',
    };

    const first = await client.send(new StartExecutionCommand(start));
    const again = await client.send(new StartExecutionCommand(start));
    const conflicting = client.send(
      new StartExecutionCommand({ ...start, input: '{"caseId":"8"}' }),
    );

    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);
    expect(first.executionArn).toBe(
      `arn:aws:states:${REGION}:${ACCOUNT}:execution:gated-flow:case-7`,
    );
    await expect(conflicting).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    gate.open();
    const ended = await waitForEnd(client, first.executionArn ?? '');
    expect(ended.status).toBe('SUCCEEDED');
  });

  it('refuses to start a finished execution name again, as AWS does', async () => {
    const arn = await createMachine(client, 'case-flow', caseFlow);
    const start = {
      stateMachineArn: arn,
      name: 'once',
      input: '{"caseId":"1"}',
    };
    const { executionArn = '' } = await client.send(
      new StartExecutionCommand(start),
    );
    await waitForEnd(client, executionArn);

    const again = client.send(new StartExecutionCommand(start));

    await expect(again).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('retries a handler error matched by its name until it succeeds', async () => {
    let calls = 0;
    functions.set(functionArn('irm-flaky'), async () => {
      calls += 1;
      if (calls < 3)
        throw namedError('TransientError', `attempt ${calls} failed`);

      return { attempt: calls };
    });
    const retry = [
      { ErrorEquals: ['TransientError'], IntervalSeconds: 1, MaxAttempts: 2 },
    ];
    const arn = await createMachine(
      client,
      'flaky-flow',
      singleTask(functionArn('irm-flaky'), { Retry: retry }),
    );

    const execution = await runToEnd(client, arn);

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? 'null')).toEqual({ attempt: 3 });
    expect(calls).toBe(3);
    const types = await historyTypes(client, execution.executionArn ?? '');
    expect(
      types.filter((type) => type === 'LambdaFunctionFailed'),
    ).toHaveLength(2);
    expect(
      types.filter((type) => type === 'LambdaFunctionScheduled'),
    ).toHaveLength(3);
  });

  it.each(['CaseLockedError', 'States.ALL', 'States.TaskFailed'])(
    'catches a handler error with ErrorEquals %s and passes Error and Cause',
    async (errorEquals) => {
      functions.set(functionArn('irm-locked'), async () => {
        throw namedError('CaseLockedError', 'case is locked');
      });
      const definition = {
        StartAt: 'Work',
        States: {
          Work: {
            Type: 'Task',
            Resource: functionArn('irm-locked'),
            Catch: [
              {
                ErrorEquals: [errorEquals],
                ResultPath: '$.failure',
                Next: 'Recover',
              },
            ],
            End: true,
          },
          Recover: { Type: 'Pass', End: true },
        },
      };
      const arn = await createMachine(
        client,
        `locked-${errorEquals.replace('.', '-')}`,
        definition,
      );

      const execution = await runToEnd(client, arn, { caseId: 'c9' });

      expect(execution.status).toBe('SUCCEEDED');
      const output = JSON.parse(execution.output ?? 'null');
      expect(output.caseId).toBe('c9');
      expect(output.failure.Error).toBe('CaseLockedError');
      expect(JSON.parse(output.failure.Cause)).toMatchObject({
        errorType: 'CaseLockedError',
        errorMessage: 'case is locked',
      });
    },
  );

  it('fails an execution with the error name and cause when nothing catches it', async () => {
    functions.set(functionArn('irm-broken'), async () => {
      throw namedError('CaseNotFound', 'no case 42');
    });
    const arn = await createMachine(
      client,
      'broken-task',
      singleTask(functionArn('irm-broken')),
    );

    const execution = await runToEnd(client, arn);

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('CaseNotFound');
    expect(JSON.parse(execution.cause ?? '{}').errorMessage).toBe('no case 42');
    const types = await historyTypes(client, execution.executionArn ?? '');
    expect(types.slice(-3)).toEqual([
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'ExecutionFailed',
    ]);
  });

  it('fails an execution whose function has no local handler, even with a Catch', async () => {
    const definition = singleTask(functionArn('irm-missing'), {
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Recover' }],
      End: undefined,
      Next: 'Recover',
    });
    const arn = await createMachine(client, 'missing-flow', {
      ...definition,
      States: { ...definition.States, Recover: { Type: 'Pass', End: true } },
    });

    const execution = await runToEnd(client, arn);

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.Runtime');
    expect(execution.cause).toContain(functionArn('irm-missing'));
  });

  it('runs a lambda:invoke integration with FunctionName and Payload', async () => {
    functions.set(functionArn('irm-echo'), async (event) => ({
      echoed: event,
    }));
    const arn = await createMachine(
      client,
      'invoke-flow',
      singleTask('arn:aws:states:::lambda:invoke', {
        Parameters: { FunctionName: 'irm-echo', 'Payload.$': '$' },
        OutputPath: '$.Payload',
      }),
    );

    const execution = await runToEnd(client, arn, { caseId: 'c5' });

    expect(JSON.parse(execution.output ?? 'null')).toEqual({
      echoed: { caseId: 'c5' },
    });
    const types = await historyTypes(client, execution.executionArn ?? '');
    expect(types).toContain('TaskScheduled');
    expect(types).toContain('TaskSucceeded');
  });

  it('runs Tasks and shortened Waits nested in a Map', async () => {
    functions.set(functionArn('irm-notify'), async (event) => ({
      notified: event,
    }));
    const arn = await createMachine(client, 'map-flow', {
      StartAt: 'EachRecipient',
      States: {
        EachRecipient: {
          Type: 'Map',
          ItemsPath: '$.recipients',
          ItemProcessor: {
            StartAt: 'Pause',
            States: {
              Pause: { Type: 'Wait', Seconds: 86400, Next: 'Notify' },
              Notify: {
                Type: 'Task',
                Resource: functionArn('irm-notify'),
                End: true,
              },
            },
          },
          End: true,
        },
      },
    });

    const execution = await runToEnd(client, arn, { recipients: ['a', 'b'] });

    expect(JSON.parse(execution.output ?? 'null')).toEqual([
      { notified: 'a' },
      { notified: 'b' },
    ]);
    const types = await historyTypes(client, execution.executionArn ?? '');
    expect(types).toContain('MapIterationSucceeded');
    expect(types).toContain('MapStateSucceeded');
  });

  it('aborts a running execution and never calls its task again', async () => {
    const gate = createGate();
    let calls = 0;
    functions.set(functionArn('irm-slow'), async () => {
      calls += 1;
      await gate.opened;
      throw namedError('TransientError', 'late failure');
    });
    const retry = [{ ErrorEquals: ['States.ALL'], MaxAttempts: 3 }];
    const arn = await createMachine(
      client,
      'slow-flow',
      singleTask(functionArn('irm-slow'), { Retry: retry }),
    );
    const { executionArn = '' } = await client.send(
      new StartExecutionCommand({ stateMachineArn: arn }),
    );

    const stopped = await client.send(
      new StopExecutionCommand({
        executionArn,
        error: 'Closed',
        cause: 'case closed',
      }),
    );
    gate.open();
    await endpoint.idle();

    expect(stopped.stopDate).toBeInstanceOf(Date);
    const execution = await waitForEnd(client, executionArn);
    expect(execution).toMatchObject({
      status: 'ABORTED',
      error: 'Closed',
      cause: 'case closed',
    });
    expect(calls).toBe(1);
    expect((await historyTypes(client, executionArn)).at(-1)).toBe(
      'ExecutionAborted',
    );
  });

  it('lists the executions of a machine by status', async () => {
    const arn = await createMachine(client, 'listed-flow', caseFlow);
    await runToEnd(client, arn, { caseId: 'l1' });
    await runToEnd(client, arn, { caseId: 'l2' });

    const succeeded = await client.send(
      new ListExecutionsCommand({
        stateMachineArn: arn,
        statusFilter: 'SUCCEEDED',
        maxResults: 1,
      }),
    );
    const running = await client.send(
      new ListExecutionsCommand({
        stateMachineArn: arn,
        statusFilter: 'RUNNING',
      }),
    );

    expect(succeeded.executions).toHaveLength(1);
    expect(succeeded.nextToken).toBeDefined();
    expect(running.executions).toEqual([]);
  });

  it('serves a client configured only by AWS_ENDPOINT_URL_SFN', async () => {
    const previous = process.env.AWS_ENDPOINT_URL_SFN;
    process.env.AWS_ENDPOINT_URL_SFN = endpoint.url;
    const envClient = new SFNClient({});

    try {
      const listed = await envClient.send(new ListStateMachinesCommand({}));

      expect(listed.stateMachines?.length).toBeGreaterThan(0);
    } finally {
      envClient.destroy();
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_SFN;
      else process.env.AWS_ENDPOINT_URL_SFN = previous;
    }
  });

  it('throws ExecutionDoesNotExist for an unknown execution', async () => {
    const executionArn = `arn:aws:states:${REGION}:${ACCOUNT}:execution:case-flow:nope`;

    const described = client.send(
      new DescribeExecutionCommand({ executionArn }),
    );

    await expect(described).rejects.toBeInstanceOf(ExecutionDoesNotExist);
  });

  it('answers an unknown operation with UnknownOperationException', async () => {
    const response = await fetch(endpoint.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': 'AWSStepFunctions.SendTaskSuccess',
      },
      body: '{}',
    });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { __type: string }).__type).toMatch(
      /#UnknownOperationException$/,
    );
  });
});

describe('local Step Functions endpoint with a data folder', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sfn-endpoint-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps machines and executions across a restart and fails interrupted runs', async () => {
    const gate = createGate();
    functions.set(functionArn('irm-stuck'), async () => gate.opened);
    functions.set(functionArn('irm-quick'), async () => ({ ok: true }));
    const first = await startEndpoint({ dataDir });
    const firstClient = clientFor(first);
    const quickArn = await createMachine(
      firstClient,
      'quick-flow',
      singleTask(functionArn('irm-quick')),
    );
    const stuckArn = await createMachine(
      firstClient,
      'stuck-flow',
      singleTask(functionArn('irm-stuck')),
    );
    const done = await runToEnd(firstClient, quickArn);
    const stuck = await firstClient.send(
      new StartExecutionCommand({ stateMachineArn: stuckArn }),
    );
    firstClient.destroy();
    await first.close();
    gate.open();

    const second = await startEndpoint({ dataDir });
    const client = clientFor(second);
    const machine = await client.send(
      new DescribeStateMachineCommand({ stateMachineArn: quickArn }),
    );
    const finished = await client.send(
      new DescribeExecutionCommand({ executionArn: done.executionArn }),
    );
    const interrupted = await client.send(
      new DescribeExecutionCommand({ executionArn: stuck.executionArn }),
    );
    const rerun = await runToEnd(client, quickArn);
    const history = await historyTypes(client, done.executionArn ?? '');
    client.destroy();
    await second.close();

    expect(machine.name).toBe('quick-flow');
    expect(finished).toMatchObject({
      status: 'SUCCEEDED',
      output: '{"ok":true}',
    });
    expect(history.at(-1)).toBe('ExecutionSucceeded');
    expect(interrupted).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: 'The local stack stopped while this execution was running.',
    });
    expect(rerun.status).toBe('SUCCEEDED');
  });
});
