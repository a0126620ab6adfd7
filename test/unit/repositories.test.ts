import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { tableEnvironment } from '../../local/dynamo.js';

const documentMock = mockClient(DynamoDBDocumentClient);

beforeAll(() => {
  Object.assign(process.env, tableEnvironment('unit'));
});

beforeEach(() => {
  documentMock.reset();
});

const note = {
  caseId: 'case-1',
  noteKey: 'run-1#sent',
  text: 'Sent',
  author: { kind: 'flow' as const, userId: 'u1' },
  source: 'flow',
  createdAt: '2026-12-03T09:00:00.000Z',
};

describe('addNote', () => {
  it('returns the note already written when a retry hits the same key', async () => {
    const { addNote } = await import('../../functions/domain/notes.js');
    documentMock.on(PutCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'exists',
        $metadata: {},
      }),
    );
    documentMock.on(GetCommand).resolves({ Item: { ...note, text: 'First' } });

    const result = await addNote(note);

    expect(result).toEqual({
      note: { ...note, text: 'First' },
      created: false,
    });
  });

  it('turns throttling into a TransientError the state machine retries', async () => {
    const { addNote } = await import('../../functions/domain/notes.js');
    documentMock.on(PutCommand).rejects(
      new ProvisionedThroughputExceededException({
        message: 'slow down',
        $metadata: {},
      }),
    );

    await expect(addNote(note)).rejects.toMatchObject({
      name: 'TransientError',
    });
  });
});

describe('finishRun', () => {
  it('keeps the first ending when a retried step records another', async () => {
    const { finishRun } = await import('../../functions/domain/runs.js');
    documentMock
      .on(UpdateCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'done', $metadata: {} }),
      );

    const recorded = await finishRun(
      'run-1',
      { status: 'SUCCEEDED', outcome: 'ok' },
      '2026-12-03T09:00:00.000Z',
    );

    expect(recorded).toBe(false);
  });
});

describe('claimActiveCase', () => {
  it('joins the case another request claimed first', async () => {
    const { claimActiveCase } = await import(
      '../../functions/domain/directory.js'
    );
    documentMock.on(UpdateCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'taken',
        $metadata: {},
      }),
    );
    documentMock
      .on(GetCommand)
      .resolves({ Item: { userId: 'u1', activeCaseId: 'case-first' } });

    const caseId = await claimActiveCase('u1', 'case-second');

    expect(caseId).toBe('case-first');
  });
});
