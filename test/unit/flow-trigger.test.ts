import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type {
  Context,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  AttributeValue as StreamValue,
} from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { TableChange } from '../../functions/domain/triggers.js';
import { tableEnvironment } from '../../local/dynamo.js';

const STAGE = 'unit';
const documentMock = mockClient(DynamoDBDocumentClient);
const sfnMock = mockClient(SFNClient);

/** The items the fake tables hold, by physical table name and key. */
let tables: Map<string, Map<string, Record<string, unknown>>>;
let startedRuns: string[];

const table = (id: string) => `irm-${STAGE}-${id}`;
const keyOf = (key: Record<string, unknown>) =>
  JSON.stringify(Object.entries(key).sort());
const store = (name: string, key: Record<string, unknown>, item: object) => {
  const rows = tables.get(name) ?? new Map();
  rows.set(keyOf(key), { ...item });
  tables.set(name, rows);
};

const MEMBER = {
  policyId: 'pol-1',
  userId: 'usr001',
  addedAt: '2026-12-03T09:00:00.000Z',
};
const ALERT = { alertId: 'alert-1', userId: 'usr001', status: 'NeedsReview' };
const CONFIRMED = { ...ALERT, status: 'Confirmed', caseId: 'case-1' };

const flow = (flowId: string, extra: Record<string, unknown>) => ({
  flowId,
  version: 'current',
  revision: 1,
  name: flowId,
  settings: {},
  door: 'dashboard',
  createdBy: 'creator-1',
  createdAt: '2026-12-01T09:00:00.000Z',
  updatedAt: '2026-12-01T09:00:00.000Z',
  updatedBy: 'creator-1',
  owners: [],
  ownerGroups: [],
  kind: 'flow',
  ...extra,
});

/** Who saved a triggered flow, with role groups that may run it. */
const OWNER = { userId: 'owner-1', groups: ['InsiderRiskManagementAnalysts'] };

const FLOWS = [
  flow('flow-users', {
    templateId: 'notify-users',
    trigger: 'policy-member-added',
    triggerOwner: OWNER,
  }),
  flow('flow-manager', {
    templateId: 'notify-manager',
    trigger: 'alert-confirmed',
    triggerOwner: OWNER,
  }),
  flow('flow-untriggered', { templateId: 'notify-users' }),
  flow('flow-deleted', {
    templateId: 'notify-users',
    trigger: 'policy-member-added',
    triggerOwner: OWNER,
    deleted: true,
  }),
  // An auditor may not run a flow on a user, so neither may their trigger.
  flow('flow-auditor', {
    templateId: 'notify-users',
    trigger: 'policy-member-added',
    triggerOwner: {
      userId: 'auditor-1',
      groups: ['InsiderRiskManagementAuditors'],
    },
  }),
  // Saved before trigger owners were recorded: nobody vouches for it.
  flow('flow-unowned', {
    templateId: 'notify-users',
    trigger: 'policy-member-added',
  }),
];

/** DynamoDB with conditional puts, enough for the repositories used. */
const fakeDynamo = () => {
  documentMock
    .on(QueryCommand)
    .callsFake((input) =>
      input.TableName === table('flows') ? { Items: FLOWS } : { Items: [] },
    );
  documentMock.on(GetCommand).callsFake((input) => ({
    Item: tables.get(input.TableName)?.get(keyOf(input.Key)),
  }));
  documentMock.on(PutCommand).callsFake((input) => {
    const key =
      input.TableName === table('runs')
        ? { runId: input.Item.runId }
        : { eventKey: input.Item.eventKey };
    if (tables.get(input.TableName)?.has(keyOf(key))) {
      throw new ConditionalCheckFailedException({
        message: 'exists',
        $metadata: {},
      });
    }
    store(input.TableName, key, input.Item);

    return {};
  });
};

beforeAll(() => {
  Object.assign(process.env, tableEnvironment(STAGE), {
    STAGE,
    STATE_MACHINE_ARN_PREFIX:
      'arn:aws:states:us-east-1:000000000000:stateMachine:irm-unit-',
  });
});

beforeEach(() => {
  documentMock.reset();
  sfnMock.reset();
  tables = new Map();
  startedRuns = [];
  fakeDynamo();
  sfnMock.on(StartExecutionCommand).callsFake((input) => {
    startedRuns.push(input.name);

    return { executionArn: `arn:execution:${input.name}` };
  });
  store(table('users'), { userId: 'usr001' }, { userId: 'usr001' });
  store(table('cases'), { caseId: 'case-1' }, { caseId: 'case-1' });
  store(
    table('policy-members'),
    { policyId: 'pol-1', userId: 'usr001' },
    MEMBER,
  );
});

const image = (values: Record<string, unknown>) =>
  marshall(values) as Record<string, StreamValue>;

let sequence = 0;
const streamRecord = (
  tableId: string,
  eventName: DynamoDBRecord['eventName'],
  images: { before?: Record<string, unknown>; after?: Record<string, unknown> },
): DynamoDBRecord => {
  sequence += 1;

  return {
    eventName,
    eventSource: 'aws:dynamodb',
    eventSourceARN:
      'arn:aws:dynamodb:us-east-1:000000000000:' +
      `table/${table(tableId)}/stream/2026-12-03T00:00:00.000`,
    dynamodb: {
      SequenceNumber: String(sequence).padStart(21, '0'),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
      ...(images.before && { OldImage: image(images.before) }),
      ...(images.after && { NewImage: image(images.after) }),
    },
  };
};

const memberAdded = () =>
  streamRecord('policy-members', 'INSERT', { after: MEMBER });
const alertConfirmed = () =>
  streamRecord('alerts', 'MODIFY', { before: ALERT, after: CONFIRMED });

const deliver = async (...records: DynamoDBRecord[]) => {
  const { handler } = await import('../../functions/flow-trigger.js');

  return (await handler({ Records: records }, {
    functionName: 'flow-trigger',
    awsRequestId: 'req-1',
  } as Context)) as DynamoDBBatchResponse;
};

const storedRuns = () => [...(tables.get(table('runs'))?.values() ?? [])];

describe('flow-trigger', () => {
  it('starts each policy-member-added flow on the new member, by its trigger owner', async () => {
    const answer = await deliver(memberAdded());

    expect(answer.batchItemFailures).toEqual([]);
    expect(storedRuns()).toEqual([
      expect.objectContaining({
        flowId: 'flow-users',
        target: { userId: 'usr001', policyId: 'pol-1' },
        startedBy: 'owner-1',
        status: 'RUNNING',
      }),
    ]);
    expect(startedRuns).toHaveLength(1);
  });

  it('starts each alert-confirmed flow on the case the alert joined', async () => {
    const answer = await deliver(alertConfirmed());

    expect(answer.batchItemFailures).toEqual([]);
    expect(storedRuns()).toEqual([
      expect.objectContaining({
        flowId: 'flow-manager',
        target: { caseId: 'case-1' },
      }),
    ]);
  });

  it('records the start in the audit log with the trigger as actor', async () => {
    await deliver(memberAdded());

    const events = [...(tables.get(table('audit'))?.values() ?? [])];
    expect(events).toEqual([
      expect.objectContaining({
        category: 'runs',
        action: 'run.started',
        actor: { userId: 'trigger:policy-member-added', groups: [] },
        target: { type: 'run', id: storedRuns()[0]?.runId },
      }),
    ]);
  });

  it.each([
    [
      'a policy member edited',
      () =>
        streamRecord('policy-members', 'MODIFY', {
          before: MEMBER,
          after: MEMBER,
        }),
    ],
    [
      'a policy member removed',
      () => streamRecord('policy-members', 'REMOVE', { before: MEMBER }),
    ],
    [
      'an alert inserted for review',
      () => streamRecord('alerts', 'INSERT', { after: ALERT }),
    ],
    [
      'a confirmed alert edited again',
      () =>
        streamRecord('alerts', 'MODIFY', {
          before: CONFIRMED,
          after: CONFIRMED,
        }),
    ],
    [
      'an alert removed',
      () => streamRecord('alerts', 'REMOVE', { before: CONFIRMED }),
    ],
    [
      'a change of another table',
      () => streamRecord('cases', 'INSERT', { after: { caseId: 'case-1' } }),
    ],
  ])('starts nothing for %s', async (_change, record) => {
    const answer = await deliver(record());

    expect(answer.batchItemFailures).toEqual([]);
    expect(storedRuns()).toEqual([]);
    expect(startedRuns).toEqual([]);
  });

  it('starts nothing new when the same record is delivered again', async () => {
    const record = memberAdded();
    await deliver(record);

    const answer = await deliver(record);

    expect(answer.batchItemFailures).toEqual([]);
    expect(storedRuns()).toHaveLength(1);
    expect(tables.get(table('audit'))?.size).toBe(1);
    // Step Functions treats a start with the same name as the same run.
    expect(new Set(startedRuns)).toEqual(new Set([storedRuns()[0]?.runId]));
  });

  it('reports the failing record as the batch failure and leaves the rest', async () => {
    sfnMock.on(StartExecutionCommand).rejects(new Error('throttled'));
    const first = streamRecord('alerts', 'MODIFY', {
      before: ALERT,
      after: ALERT,
    });
    const failing = memberAdded();
    const after = alertConfirmed();

    const answer = await deliver(first, failing, after);

    expect(answer.batchItemFailures).toEqual([
      { itemIdentifier: failing.dynamodb?.SequenceNumber },
    ]);
    expect(storedRuns().map((run) => run.flowId)).toEqual(['flow-users']);
  });

  it('skips flows whose trigger owner may not run them, logging ids only', async () => {
    const { logger } = await import('../../functions/domain/logger.js');
    const warn = jest.spyOn(logger, 'warn');

    const answer = await deliver(memberAdded());

    expect(answer.batchItemFailures).toEqual([]);
    expect(storedRuns().map((run) => run.flowId)).toEqual(['flow-users']);
    const skipped = warn.mock.calls.filter(([message]) =>
      String(message).startsWith('Triggered flow skipped: whoever saved'),
    );
    expect(skipped.map(([, fields]) => fields)).toEqual([
      {
        flowId: 'flow-auditor',
        runId: expect.any(String),
        trigger: 'policy-member-added',
        ownerRecorded: true,
      },
      {
        flowId: 'flow-unowned',
        runId: expect.any(String),
        trigger: 'policy-member-added',
        ownerRecorded: false,
      },
    ]);
    warn.mockRestore();
  });

  it('skips a flow whose user no longer exists instead of failing the record', async () => {
    tables.get(table('users'))?.clear();

    const answer = await deliver(memberAdded());

    expect(answer.batchItemFailures).toEqual([]);
    expect(storedRuns()).toEqual([]);
  });

  it('skips a flow whose user has left the policy since', async () => {
    tables.get(table('policy-members'))?.clear();

    const answer = await deliver(memberAdded());

    expect(answer.batchItemFailures).toEqual([]);
    expect(storedRuns()).toEqual([]);
  });
});

describe('triggerEventOf', () => {
  it('names the change by its policy, user and time, so a re-add is a new change', async () => {
    const { triggerEventOf } = await import(
      '../../functions/domain/triggers.js'
    );
    const change: TableChange = {
      table: 'policyMembers',
      kind: 'INSERT',
      after: MEMBER,
    };

    const event = triggerEventOf(change);

    expect(event).toEqual({
      trigger: 'policy-member-added',
      target: { userId: 'usr001', policyId: 'pol-1' },
      changeKey: ['pol-1', 'usr001', '2026-12-03T09:00:00.000Z'],
    });
  });

  it('treats an alert stored already confirmed as confirmed', async () => {
    const { triggerEventOf } = await import(
      '../../functions/domain/triggers.js'
    );

    const event = triggerEventOf({
      table: 'alerts',
      kind: 'INSERT',
      after: CONFIRMED,
    });

    expect(event?.trigger).toBe('alert-confirmed');
  });

  it('ignores a confirmed alert without a case', async () => {
    const { triggerEventOf } = await import(
      '../../functions/domain/triggers.js'
    );
    const { caseId, ...withoutCase } = CONFIRMED;

    const event = triggerEventOf({
      table: 'alerts',
      kind: 'MODIFY',
      before: ALERT,
      after: withoutCase,
    });

    expect(caseId).toBe('case-1');
    expect(event).toBeUndefined();
  });
});
