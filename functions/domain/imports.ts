import { BatchGetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients.js';
import { tableName } from './config.js';
import { call, isConditionFailure } from './db.js';
import type { Alert } from './model.js';

/*
 * Data access that only bulk imports need: reading many alerts at once, and
 * moving a case's last update forward without ever moving it back.
 */

/** Reads many alerts at once (missing ones are left out). */
export const getAlerts = async (
  alertIds: readonly string[],
): Promise<Map<string, Alert>> => {
  const found = new Map<string, Alert>();
  const unique = [...new Set(alertIds)];
  for (let start = 0; start < unique.length; start += 100) {
    let keys = unique.slice(start, start + 100).map((alertId) => ({ alertId }));
    while (keys.length > 0) {
      const answer = await call(() =>
        dynamo.send(
          new BatchGetCommand({
            RequestItems: { [tableName('alerts')]: { Keys: keys } },
          }),
        ),
      );
      for (const item of answer.Responses?.[tableName('alerts')] ?? []) {
        found.set(item.alertId as string, item as Alert);
      }
      keys = (answer.UnprocessedKeys?.[tableName('alerts')]?.Keys ??
        []) as typeof keys;
    }
  }

  return found;
};

/**
 * Records that a case changed at `at` by `userId`, unless it already shows
 * a later change. Returns whether the case was updated.
 */
export const advanceCaseUpdate = async (
  caseId: string,
  userId: string,
  at: string,
): Promise<boolean> => {
  try {
    await call(() =>
      dynamo.send(
        new UpdateCommand({
          TableName: tableName('cases'),
          Key: { caseId },
          UpdateExpression: 'SET updatedAt = :at, updatedBy = :userId',
          ConditionExpression: 'attribute_exists(caseId) AND updatedAt < :at',
          ExpressionAttributeValues: { ':at': at, ':userId': userId },
        }),
      ),
    );

    return true;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;

    return false;
  }
};
