import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  MessageRejected,
  SESv2Client,
  SendEmailCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import {
  deliverOnce,
  type OutgoingEmail,
} from '../../functions/domain/email.js';
import { TransientError } from '../../functions/domain/errors.js';

process.env.NOTIFICATIONS_TABLE = 'irm-unit-notifications';
process.env.SETTINGS_TABLE = 'irm-unit-settings';

const sesMock = mockClient(SESv2Client);
const dynamoMock = mockClient(DynamoDBDocumentClient);

const email: OutgoingEmail = {
  runId: 'run-1',
  messageKey: 'manager',
  recipient: 'Zoe@Example.com',
  subject: 'Alerts for a member of your team',
  html: '<p>Hello</p>',
  text: 'Hello',
};
const settings = { sender: 'irm@example.com', configurationSet: '' };

const releases = () =>
  dynamoMock
    .commandCalls(UpdateCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.ExpressionAttributeValues?.[':released']);

const conditionFailure = () =>
  new ConditionalCheckFailedException({ message: 'failed', $metadata: {} });

const sentClaim = {
  runId: 'run-1',
  messageKey: 'send#manager',
  status: 'sent',
  claimId: 'earlier',
  claimedAt: '2026-11-30T14:05:00.000Z',
  recipient: 'Zoe@Example.com',
  messageId: 'ses-earlier',
  sentAt: '2026-11-30T14:05:01.000Z',
};

beforeEach(() => {
  sesMock.reset();
  dynamoMock.reset();
  dynamoMock.on(PutCommand).resolves({});
  dynamoMock.on(UpdateCommand).resolves({});
  dynamoMock.on(GetCommand).resolves({});
  sesMock.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });
});

afterAll(() => {
  sesMock.restore();
  dynamoMock.restore();
});

describe('deliverOnce', () => {
  it('sends once and records the SES message id', async () => {
    // Act
    const result = await deliverOnce(email, settings);

    // Assess
    expect(result).toMatchObject({ status: 'sent', messageId: 'ses-1' });
    const update = dynamoMock.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.ExpressionAttributeValues).toMatchObject({
      ':status': 'sent',
      ':messageId': 'ses-1',
    });
  });

  it('claims the message before calling SES', async () => {
    // Act
    await deliverOnce(email, settings);

    // Assess
    const claim = dynamoMock.commandCalls(PutCommand)[0]?.args[0].input;
    expect(claim?.Item).toMatchObject({
      runId: 'run-1',
      messageKey: 'send#manager',
      status: 'sending',
    });
    expect(claim?.ConditionExpression).toContain(
      'attribute_not_exists(messageKey)',
    );
  });

  it('omits an empty configuration set from the SES call', async () => {
    // Act
    await deliverOnce(email, settings);

    // Assess
    const sent = sesMock.commandCalls(SendEmailCommand)[0]?.args[0].input;
    expect(sent).not.toHaveProperty('ConfigurationSetName');
    expect(sent?.Content?.Simple?.Body?.Text?.Data).toBe('Hello');
    expect(sent?.FromEmailAddress).toBe('irm@example.com');
  });

  it('passes a configured configuration set to SES', async () => {
    // Act
    await deliverOnce(email, { ...settings, configurationSet: 'irm-mail' });

    // Assess
    const sent = sesMock.commandCalls(SendEmailCommand)[0]?.args[0].input;
    expect(sent?.ConfigurationSetName).toBe('irm-mail');
  });

  it('sends nothing on a retry after the message was sent', async () => {
    // Prepare
    dynamoMock.on(PutCommand).rejects(conditionFailure());
    dynamoMock.on(GetCommand).resolves({ Item: sentClaim });

    // Act
    const result = await deliverOnce(email, settings);

    // Assess
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
    expect(result).toEqual({
      messageKey: 'manager',
      recipient: 'Zoe@Example.com',
      status: 'already-sent',
      messageId: 'ses-earlier',
      sentAt: '2026-11-30T14:05:01.000Z',
    });
  });

  it('throws TransientError while another attempt holds the claim', async () => {
    // Prepare
    dynamoMock.on(PutCommand).rejects(conditionFailure());
    dynamoMock.on(GetCommand).resolves({
      Item: { ...sentClaim, status: 'sending', sentAt: undefined },
    });

    // Act
    const attempt = deliverOnce(email, settings);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(TransientError);
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it('skips a suppressed address without sending', async () => {
    // Prepare
    dynamoMock
      .on(GetCommand, { Key: { settingId: 'suppressed#zoe@example.com' } })
      .resolves({ Item: { settingId: 'suppressed#zoe@example.com' } });

    // Act
    const result = await deliverOnce(email, settings);

    // Assess
    expect(result.status).toBe('suppressed');
    expect(result).not.toHaveProperty('messageId');
    expect(sesMock.commandCalls(SendEmailCommand)).toHaveLength(0);
  });

  it('releases the claim and throws TransientError when SES throttles', async () => {
    // Prepare
    sesMock.on(SendEmailCommand).rejects(
      new TooManyRequestsException({
        message: 'Too many requests',
        $metadata: { httpStatusCode: 429 },
      }),
    );

    // Act
    const attempt = deliverOnce(email, settings);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(TransientError);
    expect(releases()).toHaveLength(1);
    expect(releases()[0]?.Key).toEqual({
      runId: 'run-1',
      messageKey: 'send#manager',
    });
    expect(dynamoMock.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('releases the claim and rethrows when SES rejects the message', async () => {
    // Prepare
    sesMock.on(SendEmailCommand).rejects(
      new MessageRejected({
        message: 'Email address is not verified',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    // Act
    const attempt = deliverOnce(email, settings);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(MessageRejected);
    expect(releases()).toHaveLength(1);
  });

  it('keeps the claim when the outcome of the SES call is unknown', async () => {
    // Prepare
    sesMock.on(SendEmailCommand).rejects(new Error('socket hang up'));

    // Act
    const attempt = deliverOnce(email, settings);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(TransientError);
    expect(dynamoMock.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});
