import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Context } from 'aws-lambda';
import type { Alert, Case, User } from '../../functions/domain/model.js';
import {
  ensureTables,
  type LocalDynamo,
  startDynamo,
  tableEnvironment,
} from '../../local/dynamo.js';
import {
  type LocalServiceNow,
  startServiceNow,
} from '../../local/servicenow.js';

/*
 * The create-servicenow-record handler against dynalite and the ServiceNow
 * stand-in, both on free ports of 127.0.0.1.
 */

const STAGE = 'sntest';
const credentials = { username: 'irm-flows', password: 'stand-in-password' };

type Handler = (event: unknown, context: Context) => Promise<unknown>;

let dynamo: LocalDynamo;
let servicenow: LocalServiceNow;
let handler: Handler;
let runs = 0;

const lambdaContext: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'create-servicenow-record',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'create-servicenow-record',
  memoryLimitInMB: '256',
  awsRequestId: 'request-1',
  logGroupName: '/test/create-servicenow-record',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

const user: User = {
  userId: 'zoe@example.com',
  displayName: 'Zoë "Ø" Taylor',
  email: 'zoe@example.com',
  department: 'Research & Development',
  riskLevel: 'minor',
};

const theCase: Case = {
  caseId: 'case-sn-1',
  name: '<b>Data theft</b>: Zoë "Ø" Taylor',
  status: 'Active',
  userId: user.userId,
  openedAt: '2026-03-01T09:00:00.000Z',
  updatedAt: '2026-03-01T09:00:00.000Z',
  updatedBy: 'analyst@example.com',
};

const alerts: Alert[] = (['Medium', 'High', 'Low'] as const).map(
  (severity, index) => ({
    alertId: `alert-sn-${index}`,
    userId: user.userId,
    policyId: 'policy-1',
    policyName: 'Data theft by departing users',
    severity,
    status: 'Confirmed',
    detectedAt: `2026-02-0${index + 1}T10:00:00.000Z`,
    caseId: theCase.caseId,
  }),
);

const PER_RUN_MAPPING = {
  short_description: 'Insider risk case {{case.name}}',
  caller_id: '{{user.email}}',
  assignment_group: 'IRM {{user.department}}',
  urgency: '{{alerts.urgency}}',
  description: '{{alerts.summary}}',
};

const flows = [
  { flowId: 'flow-sn-case', settings: {} },
  { flowId: 'flow-sn-run', settings: { fields: PER_RUN_MAPPING } },
  {
    flowId: 'flow-sn-bad',
    settings: { fields: { short_description: '{{case.title}}' } },
  },
];

const seed = async (endpoint: string) => {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint }));
  const tables = tableEnvironment(STAGE);
  const put = (table: string | undefined, item: object) =>
    client.send(new PutCommand({ TableName: table, Item: item }));
  await put(tables.USERS_TABLE, user);
  await put(tables.CASES_TABLE, theCase);
  // These tests map the user's identity: privacy-flows.test.ts covers aliases.
  await put(tables.SETTINGS_TABLE, {
    settingId: 'privacy',
    pseudonymise: false,
  });
  for (const alert of alerts) await put(tables.ALERTS_TABLE, alert);
  for (const flow of flows) {
    await put(tables.FLOWS_TABLE, {
      ...flow,
      version: 'v000001',
      templateId: 'servicenow-record',
      name: flow.flowId,
    });
  }
  client.destroy();
};

beforeAll(async () => {
  dynamo = await startDynamo({ port: 0 });
  await ensureTables(dynamo.url, STAGE);
  await seed(dynamo.url);
  servicenow = await startServiceNow({ port: 0, ...credentials });
  Object.assign(process.env, tableEnvironment(STAGE), {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    SERVICENOW_INSTANCE_URL: servicenow.url,
    SERVICENOW_SECRET: JSON.stringify(credentials),
  });
  ({ handler } = (await import(
    '../../functions/create-servicenow-record.js'
  )) as { handler: Handler });
});

afterAll(async () => {
  await servicenow.close();
  await dynamo.close();
});

const nextRun = () => {
  runs += 1;

  return `run-sn-${runs}`;
};

const start = (flowId: string, runId = nextRun()) =>
  handler(
    {
      runId,
      flowId,
      flowVersion: 'v000001',
      caseId: theCase.caseId,
      startedBy: 'analyst@example.com',
    },
    lambdaContext,
  );

const recordsOf = (correlationId: string) =>
  servicenow
    .records('incident')
    .filter((record) => record.correlation_id === correlationId);

describe('create-servicenow-record', () => {
  it('creates one record with the mapped fields', async () => {
    // Prepare
    const runId = nextRun();

    // Act
    const output = await start('flow-sn-run', runId);

    // Assess
    const [record, ...others] = recordsOf(`irm:${runId}`);
    expect(others).toHaveLength(0);
    expect(record).toMatchObject({
      short_description: `Insider risk case ${theCase.name}`,
      caller_id: 'zoe@example.com',
      assignment_group: 'IRM Research & Development',
      urgency: '1',
      description:
        '2026-02-03T10:00:00.000Z Low Data theft by departing users\n' +
        '2026-02-02T10:00:00.000Z High Data theft by departing users\n' +
        '2026-02-01T10:00:00.000Z Medium Data theft by departing users',
    });
    expect(output).toEqual({
      number: record?.number,
      sysId: record?.sys_id,
      link: `${servicenow.url}/nav_to.do?uri=incident.do%3Fsys_id%3D${record?.sys_id}`,
      created: true,
    });
  });

  it('finds the record of a retried step and creates none', async () => {
    // Prepare
    const runId = nextRun();
    const first = await start('flow-sn-run', runId);

    // Act
    const retried = await start('flow-sn-run', runId);

    // Assess
    expect(retried).toEqual({ ...(first as object), created: false });
    expect(recordsOf(`irm:${runId}`)).toHaveLength(1);
  });

  it('keeps one record per case with the default mapping', async () => {
    // Act
    const first = await start('flow-sn-case');
    const second = await start('flow-sn-case');

    // Assess
    expect(first).toMatchObject({ created: true });
    expect(second).toMatchObject({ created: false });
    expect(recordsOf(theCase.caseId)).toHaveLength(1);
  });

  it('waits out a 429 with Retry-After and creates one record', async () => {
    // Prepare
    const runId = nextRun();
    servicenow.setMode({ mode: '429', times: 1, retryAfter: 1 });

    // Act
    const output = await start('flow-sn-run', runId);

    // Assess
    expect(output).toMatchObject({ created: true });
    expect(recordsOf(`irm:${runId}`)).toHaveLength(1);
  });

  it('fails with a clear reason on 401 and creates nothing', async () => {
    // Prepare
    const runId = nextRun();
    servicenow.setMode({ mode: '401', times: 1 });

    // Act
    const starting = start('flow-sn-run', runId);

    // Assess
    await expect(starting).rejects.toMatchObject({
      name: 'ServiceNowAuthError',
      message:
        'ServiceNow refused the credentials (401): check the username and ' +
        'password in the secret',
    });
    expect(recordsOf(`irm:${runId}`)).toHaveLength(0);
  });

  it('names the table when the ACL refuses the insert (403)', async () => {
    // Prepare
    const runId = nextRun();
    servicenow.setMode({ mode: '403', times: 1, method: 'POST' });

    // Act
    const starting = start('flow-sn-run', runId);

    // Assess
    await expect(starting).rejects.toMatchObject({
      name: 'ServiceNowAuthError',
      message: expect.stringContaining(
        'lacks the ACL to create records in table incident',
      ),
    });
    expect(recordsOf(`irm:${runId}`)).toHaveLength(0);
  });

  it('fails with a TransientError on a 5xx so the state machine retries', async () => {
    // Prepare
    const runId = nextRun();
    servicenow.setMode({ mode: '500', times: 1 });

    // Act
    const starting = start('flow-sn-run', runId);

    // Assess
    await expect(starting).rejects.toMatchObject({ name: 'TransientError' });
    expect(recordsOf(`irm:${runId}`)).toHaveLength(0);
  });

  it('refuses a mapping with an unknown value before calling ServiceNow', async () => {
    // Prepare
    const before = servicenow.records('incident').length;

    // Act
    const starting = start('flow-sn-bad');

    // Assess
    await expect(starting).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('short_description uses {{case.title}}'),
    });
    expect(servicenow.records('incident')).toHaveLength(before);
  });
});
