import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import {
  ensureTables,
  type LocalDynamo,
  startDynamo,
} from '../../local/dynamo.js';
import { type LocalStreams, startStreams } from '../../local/streams.js';

const STAGE = 'streams';
const MEMBERS = `irm-${STAGE}-policy-members`;
const ALERTS = `irm-${STAGE}-alerts`;

let dynamo: LocalDynamo;
let streams: LocalStreams;
let client: DynamoDBClient;
/** What each invocation of the consumer received, in order. */
let delivered: { name: string; record: DynamoDBRecord }[];
/** The consumer throws on every record of this user, every time. */
const FAILING_USER = 'u-fails';
/** The consumer reports every record of this user as a batch item failure. */
const REPORTED_USER = 'u-reported';

beforeAll(async () => {
  dynamo = await startDynamo({ port: 0 });
  await ensureTables(dynamo.url, STAGE);
  streams = await startStreams({
    port: 0,
    dynamoUrl: dynamo.url,
    stage: STAGE,
    retries: 2,
    retryDelayMs: 1,
    lambdas: {
      invoke: async (name, event) => {
        const [record] = (event as { Records: DynamoDBRecord[] }).Records;
        if (!record) throw new Error('empty event');
        delivered.push({ name, record });
        if (record.dynamodb?.Keys?.userId?.S === FAILING_USER) {
          throw new Error('consumer failed');
        }
        const itemIdentifier = record.dynamodb?.SequenceNumber ?? '';
        const reported = record.dynamodb?.Keys?.userId?.S === REPORTED_USER;

        return { batchItemFailures: reported ? [{ itemIdentifier }] : [] };
      },
    },
  });
  client = new DynamoDBClient({ endpoint: streams.url });
});

beforeEach(() => {
  delivered = [];
});

afterAll(async () => {
  client.destroy();
  await streams.settled();
  await streams.close();
  await dynamo.close();
});

const member = (userId: string, addedAt = '2026-12-03T09:00:00.000Z') => ({
  policyId: { S: 'pol-1' },
  userId: { S: userId },
  addedAt: { S: addedAt },
});

const eventsOf = () =>
  delivered.map(({ record }) => [
    record.eventName,
    record.dynamodb?.Keys?.userId?.S ?? record.dynamodb?.Keys?.alertId?.S,
  ]);

describe('the local stream proxy', () => {
  it('delivers an INSERT with the new image and the table in the source ARN', async () => {
    await client.send(
      new PutItemCommand({ TableName: MEMBERS, Item: member('u1') }),
    );
    await streams.settled();

    expect(delivered).toHaveLength(1);
    const [{ name, record }] = delivered as [(typeof delivered)[number]];
    expect(name).toBe('flow-trigger');
    expect(record).toMatchObject({
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      dynamodb: {
        Keys: { policyId: { S: 'pol-1' }, userId: { S: 'u1' } },
        NewImage: member('u1'),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(record.eventSourceARN).toContain(`:table/${MEMBERS}/stream/`);
    expect(record.dynamodb?.OldImage).toBeUndefined();
  });

  it('delivers the changes of one item in the order they were made', async () => {
    const alert = { alertId: { S: 'a1' }, status: { S: 'NeedsReview' } };
    await client.send(new PutItemCommand({ TableName: ALERTS, Item: alert }));
    await client.send(
      new UpdateItemCommand({
        TableName: ALERTS,
        Key: { alertId: { S: 'a1' } },
        UpdateExpression: 'SET #status = :confirmed',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':confirmed': { S: 'Confirmed' } },
      }),
    );
    await client.send(
      new DeleteItemCommand({
        TableName: ALERTS,
        Key: { alertId: { S: 'a1' } },
      }),
    );
    await streams.settled();

    expect(eventsOf()).toEqual([
      ['INSERT', 'a1'],
      ['MODIFY', 'a1'],
      ['REMOVE', 'a1'],
    ]);
    expect(delivered[1]?.record.dynamodb).toMatchObject({
      OldImage: { status: { S: 'NeedsReview' } },
      NewImage: { status: { S: 'Confirmed' } },
    });
  });

  it('delivers nothing for a refused or an unchanging write', async () => {
    const item = member('u2');
    await client.send(new PutItemCommand({ TableName: MEMBERS, Item: item }));
    await streams.settled();
    delivered = [];

    await expect(
      client.send(
        new PutItemCommand({
          TableName: MEMBERS,
          Item: item,
          ConditionExpression: 'attribute_not_exists(userId)',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    await client.send(new PutItemCommand({ TableName: MEMBERS, Item: item }));
    await streams.settled();

    expect(delivered).toEqual([]);
  });

  it('delivers one record per item of a batch write', async () => {
    await client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [MEMBERS]: [
            { PutRequest: { Item: member('u3') } },
            { PutRequest: { Item: member('u4') } },
          ],
        },
      }),
    );
    await streams.settled();

    expect(eventsOf().sort()).toEqual([
      ['INSERT', 'u3'],
      ['INSERT', 'u4'],
    ]);
  });

  it('retries a failing record and then keeps it as a dead letter', async () => {
    const errors = jest
      .spyOn(console, 'error')
      .mockImplementation(() => undefined);

    await client.send(
      new PutItemCommand({ TableName: MEMBERS, Item: member(FAILING_USER) }),
    );
    await streams.settled();

    const logged = errors.mock.calls.map(([line]) => String(line));
    errors.mockRestore();
    expect(eventsOf()).toEqual([
      ['INSERT', FAILING_USER],
      ['INSERT', FAILING_USER],
      ['INSERT', FAILING_USER],
    ]);
    expect(streams.deadLetters).toEqual([
      expect.objectContaining({
        consumer: 'flow-trigger',
        attempts: 3,
        error: 'Error: consumer failed',
      }),
    ]);
    expect(logged).toEqual([expect.stringContaining('dead-lettered')]);
  });

  it('retries a record the consumer reports in batchItemFailures', async () => {
    const before = streams.deadLetters.length;
    const errors = jest
      .spyOn(console, 'error')
      .mockImplementation(() => undefined);

    await client.send(
      new PutItemCommand({ TableName: MEMBERS, Item: member(REPORTED_USER) }),
    );
    await streams.settled();

    errors.mockRestore();
    expect(delivered).toHaveLength(3);
    expect(streams.deadLetters.slice(before)).toEqual([
      expect.objectContaining({ error: 'reported in batchItemFailures' }),
    ]);
  });
});
