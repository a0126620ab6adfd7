import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients.js';
import { tableName } from './config.js';
import { call, isConditionFailure, type Page, queryPage } from './db.js';

/*
 * The notifications table holds two kinds of items per run:
 * - send claims (`send#<messageKey>`): one per message, written before the
 *   message goes to SES, so that a retried step sends nothing twice;
 * - tracking records (`track#<messageKey>`): what was sent to whom, with
 *   `userId` and `sentAt` set so that the `byUser` index lists them.
 * Claims never carry `userId`, which keeps them out of that index.
 */

/** A claim older than this may be taken over: longer than any Lambda run. */
export const CLAIM_TAKEOVER_MS = 5 * 60 * 1000;

/** `released`: SES refused the message, so a retry may claim it again. */
export type ClaimStatus = 'sending' | 'sent' | 'suppressed' | 'released';

export interface SendClaim {
  readonly runId: string;
  readonly messageKey: string;
  readonly status: ClaimStatus;
  /** Random id of the attempt holding the claim. */
  readonly claimId: string;
  readonly claimedAt: string;
  readonly recipient: string;
  readonly messageId?: string;
  readonly sentAt?: string;
}

/** One sent message, as the tracking list shows it. */
export interface Notification {
  readonly runId: string;
  readonly messageKey: string;
  readonly flowId: string;
  readonly userId: string;
  readonly policyId?: string;
  readonly caseId?: string;
  readonly recipient: string;
  readonly messageId: string;
  readonly sentAt: string;
  readonly recordedAt: string;
}

const claimKey = (messageKey: string): string => `send#${messageKey}`;
const trackKey = (messageKey: string): string => `track#${messageKey}`;

/**
 * Claims the right to send a message. Succeeds when nobody claimed it, when
 * the last claim was released, or when a `sending` claim is older than
 * CLAIM_TAKEOVER_MS (its holder crashed); otherwise returns the claim that
 * holds.
 */
export const claimMessage = async (
  claim: Omit<SendClaim, 'status'>,
): Promise<{ claimed: true } | { claimed: false; holder: SendClaim }> => {
  const staleBefore = new Date(
    Date.parse(claim.claimedAt) - CLAIM_TAKEOVER_MS,
  ).toISOString();
  try {
    await call(() =>
      dynamo.send(
        new PutCommand({
          TableName: tableName('notifications'),
          Item: {
            ...claim,
            messageKey: claimKey(claim.messageKey),
            status: 'sending',
          },
          ConditionExpression:
            'attribute_not_exists(messageKey) OR #status = :released OR ' +
            '(#status = :sending AND claimedAt < :staleBefore)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':sending': 'sending',
            ':released': 'released',
            ':staleBefore': staleBefore,
          },
        }),
      ),
    );

    return { claimed: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;

    return { claimed: false, holder: await readClaim(claim) };
  }
};

const readClaim = async (
  claim: Pick<SendClaim, 'runId' | 'messageKey'>,
): Promise<SendClaim> => {
  const answer = await call(() =>
    dynamo.send(
      new GetCommand({
        TableName: tableName('notifications'),
        Key: { runId: claim.runId, messageKey: claimKey(claim.messageKey) },
        ConsistentRead: true,
      }),
    ),
  );
  const stored = answer.Item as SendClaim;

  return { ...stored, messageKey: claim.messageKey };
};

/** Marks a claimed message as sent (or suppressed), keeping the SES id. */
export const settleClaim = async (
  claim: Pick<SendClaim, 'runId' | 'messageKey'>,
  outcome: {
    status: 'sent' | 'suppressed';
    sentAt: string;
    messageId?: string;
  },
): Promise<void> => {
  await call(() =>
    dynamo.send(
      new UpdateCommand({
        TableName: tableName('notifications'),
        Key: { runId: claim.runId, messageKey: claimKey(claim.messageKey) },
        UpdateExpression:
          'SET #status = :status, sentAt = :sentAt, messageId = :messageId',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': outcome.status,
          ':sentAt': outcome.sentAt,
          ':messageId': outcome.messageId ?? null,
        },
      }),
    ),
  );
};

/**
 * Gives a claim back after SES refused the message, so that the retry may
 * send it. Only the attempt holding the claim can release it. The item is
 * marked rather than deleted: functions may put and update, never delete.
 */
export const releaseClaim = async (
  claim: Pick<SendClaim, 'runId' | 'messageKey' | 'claimId'>,
): Promise<void> => {
  try {
    await call(() =>
      dynamo.send(
        new UpdateCommand({
          TableName: tableName('notifications'),
          Key: { runId: claim.runId, messageKey: claimKey(claim.messageKey) },
          UpdateExpression: 'SET #status = :released',
          ConditionExpression: 'claimId = :claimId AND #status = :sending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':claimId': claim.claimId,
            ':sending': 'sending',
            ':released': 'released',
          },
        }),
      ),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
};

/**
 * Stores the tracking record of a sent message once. Returns false when it
 * was already there (a retried step).
 */
export const recordNotification = async (
  notification: Omit<Notification, 'recordedAt'>,
  now: string,
): Promise<boolean> => {
  try {
    await call(() =>
      dynamo.send(
        new PutCommand({
          TableName: tableName('notifications'),
          Item: {
            ...notification,
            messageKey: trackKey(notification.messageKey),
            recordedAt: now,
          },
          ConditionExpression: 'attribute_not_exists(messageKey)',
        }),
      ),
    );

    return true;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;

    return false;
  }
};

/** The messages sent about a user, most recent first. */
export const listNotificationsOfUser = async (
  userId: string,
  limit: number,
  cursor?: string,
): Promise<Page<Notification>> => {
  const page = await queryPage<Notification>(
    {
      TableName: tableName('notifications'),
      IndexName: 'byUser',
      KeyConditionExpression: 'userId = :userId',
      ExpressionAttributeValues: { ':userId': userId },
      ScanIndexForward: false,
    },
    limit,
    cursor,
  );

  return {
    ...page,
    items: page.items.map((item) => ({
      ...item,
      messageKey: item.messageKey.replace(/^track#/, ''),
    })),
  };
};
