import { readFileSync } from 'node:fs';
import type { FunctionSpec, TableAccess } from '../../functions/catalog.js';
import type { LocalStack } from '../../local/stack.js';
import { seedOrganisation } from '../support/seed.js';
import {
  apiCall,
  mailbox,
  type StoredEmail,
  startTestStack,
  waitForRun,
} from '../support/stack.js';

/*
 * IAM is not enforced on one machine, so this test enforces it: every call
 * a function makes while the four templates, a trigger and the API run is
 * checked against the grants its catalog entry gives it on AWS.
 */

const IRM = 'InsiderRiskManagement';

interface Call {
  readonly fn: string;
  readonly service: 'dynamodb' | 'ses' | 'sfn';
  readonly operation: string;
  readonly tables: readonly string[];
}

const READS = ['Get', 'BatchGet', 'Query', 'GetItem', 'BatchGetItem'];
const WRITES = ['Put', 'Update', 'PutItem', 'UpdateItem'];

let stack: LocalStack;
const calls: Call[] = [];
let tableIdOf: Map<string, string>;
let catalog: readonly FunctionSpec[];

type Middleware = (
  next: (args: { input: unknown }) => Promise<unknown>,
  context: { commandName?: string },
) => (args: { input: unknown }) => Promise<unknown>;

const tablesOf = (input: unknown): string[] => {
  const { TableName, RequestItems } = input as {
    TableName?: string;
    RequestItems?: Record<string, unknown>;
  };

  return TableName ? [TableName] : Object.keys(RequestItems ?? {});
};

const recorder =
  (service: Call['service'], currentFunction: () => string | undefined) =>
  (): Middleware =>
  (next, context) =>
  async (args) => {
    const fn = currentFunction();
    if (fn) {
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      calls.push({ fn, service, operation, tables: tablesOf(args.input) });
    }

    return next(args);
  };

beforeAll(async () => {
  // Waits long enough to answer a request before its deadline closes it.
  stack = await startTestStack({ pseudonymise: false, waitOverrideMs: 1_000 });
  await seedOrganisation();
  const { currentFunction } = await import('../../local/lambdas.js');
  const clients = await import('../../functions/domain/clients.js');
  const { TABLES, physicalTableName } = await import(
    '../../functions/domain/tables.js'
  );
  ({ ALL_FUNCTIONS: catalog } = await import('../../functions/catalog.js'));
  tableIdOf = new Map(
    Object.entries(TABLES).map(([id, spec]) => [
      physicalTableName('local', spec),
      id,
    ]),
  );
  const step = { step: 'initialize' as const, name: 'grantRecorder' };
  clients.dynamo.middlewareStack.add(
    recorder('dynamodb', currentFunction)() as never,
    step,
  );
  clients.ses.middlewareStack.add(
    recorder('ses', currentFunction)() as never,
    step,
  );
  clients.sfn.middlewareStack.add(
    recorder('sfn', currentFunction)() as never,
    step,
  );
});

afterAll(async () => {
  await stack.close();
});

const runTemplate = async (
  templateId: string,
  target: Record<string, string>,
  settings: Record<string, unknown> = {},
  trigger?: string,
  expected = 'SUCCEEDED',
  whileRunning: () => Promise<void> = async () => undefined,
) => {
  const created = await apiCall(stack, 'POST', '/flows', {
    group: IRM,
    body: { templateId, name: `grants ${templateId}`, settings, trigger },
  });
  const flowId = (created.body.flow as { flowId: string }).flowId;
  if (!target.caseId && !target.userId) return;
  const start = await apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
    group: IRM,
    body: target,
  });
  await whileRunning();
  const run = await waitForRun(
    stack,
    (start.body.run as { runId: string }).runId,
  );
  expect(run.status).toBe(expected);
};

/** Answers the request-info email through its response page. */
const answerFirstRequest = async (address: string): Promise<void> => {
  let email: StoredEmail | undefined;
  for (let tries = 0; tries < 200 && !email; tries += 1) {
    [email] = (await mailbox(stack)).filter((e) =>
      e.destination.to.includes(address),
    );
    if (!email) await new Promise((done) => setTimeout(done, 25));
  }
  const link = /href="([^"]+\/r\/[^"]+)"/.exec(email?.body.html ?? '')?.[1];
  const answered = await fetch(link ?? '', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'option=0',
  });
  expect(answered.status).toBe(200);
};

const runCustomFlow = async (): Promise<void> => {
  const definition = JSON.parse(
    readFileSync('docs/examples/high-alerts-note.asl.json', 'utf8'),
  ) as unknown;
  const created = await apiCall(stack, 'POST', '/flows', {
    group: IRM,
    body: {
      templateId: 'custom',
      name: 'grants custom',
      target: 'case',
      definition,
    },
  });
  const flowId = (created.body.flow as { flowId: string }).flowId;
  const start = await apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
    group: IRM,
    body: { caseId: 'case-test-1' },
  });
  const run = await waitForRun(
    stack,
    (start.body.run as { runId: string }).runId,
  );
  expect(run.status).toBe('SUCCEEDED');
};

const allows = (
  access: TableAccess | undefined,
  operation: string,
): boolean => {
  if (READS.includes(operation))
    return access === 'read' || access === 'readwrite';
  if (WRITES.includes(operation))
    return access === 'write' || access === 'readwrite';

  return false;
};

const SFN_LEVEL: Record<string, string> = {
  StartExecution: 'start',
  DescribeExecution: 'read',
  GetExecutionHistory: 'read',
  ListExecutions: 'read',
  StopExecution: 'read',
  CreateStateMachine: 'manage',
  UpdateStateMachine: 'manage',
  DeleteStateMachine: 'manage',
  DescribeStateMachine: 'manage',
};

const breaches = (): string[] =>
  calls.flatMap((call) => {
    const spec = catalog.find((entry) => entry.name === call.fn);
    const where = `${call.fn} ${call.service}:${call.operation}`;
    if (!spec) return [`${where}: not in the catalog`];
    if (call.service === 'ses') {
      return spec.sendsEmail ? [] : [`${where}: may not send email`];
    }
    if (call.service === 'sfn') {
      const level = SFN_LEVEL[call.operation] ?? 'unknown';
      const levels: readonly string[] = spec.stepFunctions ?? [];

      return levels.includes(level) ? [] : [`${where}: needs ${level}`];
    }

    return call.tables.flatMap((table) => {
      const id = tableIdOf.get(table) ?? table;
      const access = (spec.tables as Record<string, TableAccess>)[id];

      return allows(access, call.operation) ? [] : [`${where} on ${id}`];
    });
  });

describe('what each function touches, against its IAM grants', () => {
  it('stays within the catalog grants through every template, a trigger and the API', async () => {
    await apiCall(stack, 'POST', '/policies/pol-leaks/users', {
      group: IRM,
      body: { userId: 'usr001' },
    });
    await runTemplate('notify-users', { userId: 'usr001' });
    await runTemplate('notify-manager', { caseId: 'case-test-1' });
    await runTemplate('servicenow-record', { caseId: 'case-test-1' });
    await runTemplate(
      'request-info',
      { caseId: 'case-test-1' },
      { stakeholders: [{ email: 'hr@example.test' }] },
      undefined,
      'SUCCEEDED',
      () => answerFirstRequest('hr@example.test'),
    );
    await runCustomFlow();
    stack.serviceNow.setMode({ mode: '401' });
    await runTemplate(
      'servicenow-record',
      { caseId: 'case-test-1' },
      {},
      undefined,
      'FAILED',
    );
    stack.serviceNow.setMode({ mode: 'ok' });
    await runTemplate('notify-manager', {}, {}, 'alert-confirmed');
    await apiCall(stack, 'POST', '/alerts/alert-test-new/confirm', {
      group: IRM,
    });
    await stack.streams.settled();
    for (const path of [
      '/cases',
      '/users',
      '/audit',
      '/flows',
      '/users/usr001',
    ]) {
      await apiCall(stack, 'GET', path, { group: IRM });
    }

    const functions = new Set(calls.map((call) => call.fn));
    expect([...functions]).toEqual(
      expect.arrayContaining([
        'api',
        'send-email',
        'record-run-outcome',
        'create-servicenow-record',
        'flow-trigger',
        'response-page',
        'get-alerts-for-case',
      ]),
    );
    expect(breaches()).toEqual([]);
  });
});
