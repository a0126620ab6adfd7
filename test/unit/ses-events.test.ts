import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SNSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { addressesToSuppress } from '../../functions/domain/suppression.js';
import { tableEnvironment } from '../../local/dynamo.js';

const documentMock = mockClient(DynamoDBDocumentClient);

const snsEvent = (...messages: object[]): SNSEvent =>
  ({
    Records: messages.map((message) => ({
      Sns: { Message: JSON.stringify(message) },
    })),
  }) as unknown as SNSEvent;

beforeAll(() => {
  Object.assign(process.env, tableEnvironment('unit'));
});

beforeEach(() => {
  documentMock.reset();
});

describe('addressesToSuppress', () => {
  it('suppresses every recipient of a permanent bounce, lower-cased', () => {
    const addresses = addressesToSuppress({
      eventType: 'Bounce',
      bounce: {
        bounceType: 'Permanent',
        bouncedRecipients: [
          { emailAddress: 'Gone@Example.test' },
          { emailAddress: 'left@example.test' },
        ],
      },
    });

    expect(addresses).toEqual(['gone@example.test', 'left@example.test']);
  });

  it('suppresses nobody for a transient bounce such as a full mailbox', () => {
    expect(
      addressesToSuppress({
        eventType: 'Bounce',
        bounce: {
          bounceType: 'Transient',
          bouncedRecipients: [{ emailAddress: 'full@example.test' }],
        },
      }),
    ).toEqual([]);
  });

  it('suppresses a complainer from an identity notification too', () => {
    expect(
      addressesToSuppress({
        notificationType: 'Complaint',
        complaint: {
          complainedRecipients: [{ emailAddress: 'no@example.test' }],
        },
      }),
    ).toEqual(['no@example.test']);
  });
});

describe('the ses-events handler', () => {
  it('records each suppressed address, and a repeat changes nothing', async () => {
    const { handler } = await import('../../functions/ses-events.js');
    documentMock
      .on(PutCommand)
      .resolvesOnce({})
      .rejects(
        new ConditionalCheckFailedException({
          message: 'exists',
          $metadata: {},
        }),
      );
    const bounce = {
      eventType: 'Bounce',
      bounce: {
        bounceType: 'Permanent',
        bouncedRecipients: [{ emailAddress: 'gone@example.test' }],
      },
    };

    await handler(snsEvent(bounce, bounce), {} as Context);

    const puts = documentMock.commandCalls(PutCommand);
    expect(puts).toHaveLength(2);
    expect(puts[0]?.args[0].input.Item).toMatchObject({
      settingId: 'suppressed#gone@example.test',
      reason: 'Bounce',
    });
  });
});
