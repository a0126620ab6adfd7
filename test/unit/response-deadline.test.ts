import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { ResponseRequest } from '../../functions/domain/responses.js';
import { tableEnvironment } from '../../local/dynamo.js';

const documentMock = mockClient(DynamoDBDocumentClient);

beforeAll(() => {
  Object.assign(process.env, tableEnvironment('unit'));
});

beforeEach(() => {
  documentMock.reset();
});

const request = (recipient: string): ResponseRequest => ({
  linkHash: `request#req-${recipient}`,
  kind: 'request',
  requestId: `req-${recipient}`,
  runId: 'run-1',
  flowId: 'flow-1',
  flowVersion: 'v000001',
  caseId: 'case-1',
  startedBy: 'analyst@example.com',
  recipient,
  question: 'Information requested about a case',
  options: ['No concerns', 'Please contact me'],
  allowComment: true,
  createdAt: '2026-11-30T14:05:00.000Z',
  expiresAt: '2026-12-07T14:05:00.000Z',
  expiresAtEpoch: 1_800_000_000,
  nonce: 'nonce',
});

const answer = {
  optionIndex: 0,
  option: 'No concerns',
  answeredAt: '2026-12-01T09:30:00.000Z',
};

describe('closing requests at the deadline', () => {
  it('closes the unanswered requests and lists exactly those as missing', async () => {
    const { closeRequestsOfRun, isExpired, summariseResponses } = await import(
      '../../functions/domain/responses.js'
    );
    documentMock.on(QueryCommand).resolves({
      Items: [request('hr@example.com'), request('legal@example.com')],
    });
    documentMock.on(UpdateCommand).resolves({});
    const now = new Date('2026-12-01T10:00:00.000Z');

    const closed = await closeRequestsOfRun('run-1', now);

    expect(closed.map((r) => [r.closedAt, r.expiresAt])).toEqual([
      [now.toISOString(), now.toISOString()],
      [now.toISOString(), now.toISOString()],
    ]);
    expect(closed.every((r) => isExpired(r, now))).toBe(true);
    expect(summariseResponses(closed).pendingCount).toBe(2);
    const update = documentMock.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.ConditionExpression).toContain(
      'attribute_not_exists(answer)',
    );
  });

  it('keeps an answer that won the race and leaves it off the missing list', async () => {
    const { closeRequestsOfRun, summariseResponses } = await import(
      '../../functions/domain/responses.js'
    );
    const raced = request('hr@example.com');
    documentMock.on(QueryCommand).resolves({ Items: [raced] });
    documentMock.on(UpdateCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'answered',
        $metadata: {},
      }),
    );
    documentMock.on(GetCommand).resolves({ Item: { ...raced, answer } });

    const closed = await closeRequestsOfRun('run-1', new Date());

    expect(closed[0]?.answer).toEqual(answer);
    expect(closed[0]?.closedAt).toBeUndefined();
    expect(summariseResponses(closed)).toMatchObject({
      pendingCount: 0,
      answeredCount: 1,
      unansweredText: '',
    });
  });

  it('refuses an answer to a request the deadline closed', async () => {
    const { answerRequest } = await import(
      '../../functions/domain/responses.js'
    );
    const closed = {
      ...request('hr@example.com'),
      closedAt: answer.answeredAt,
    };

    const outcome = await answerRequest(closed, answer);

    expect(outcome).toEqual({ kind: 'expired' });
    expect(documentMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});
