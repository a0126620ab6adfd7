import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients.js';
import { tableName } from './config.js';
import {
  call,
  isConditionFailure,
  type Page,
  queryAll,
  queryPage,
} from './db.js';
import { claimActiveCase, requireUser } from './directory.js';
import { ConflictError, NotFoundError } from './errors.js';
import { deterministicId } from './ids.js';
import type { Actor, Alert, Case, CaseStatus } from './model.js';

export const getCase = async (caseId: string): Promise<Case | undefined> => {
  const answer = await call(() =>
    dynamo.send(
      new GetCommand({ TableName: tableName('cases'), Key: { caseId } }),
    ),
  );

  return answer.Item as Case | undefined;
};

export const requireCase = async (caseId: string): Promise<Case> => {
  const found = await getCase(caseId);
  if (found === undefined) throw new NotFoundError(`No case ${caseId}`);

  return found;
};

/** Creates a case unless one with its id exists; returns the stored one. */
export const putCaseIfAbsent = async (
  newCase: Case,
): Promise<{ case: Case; created: boolean }> => {
  try {
    await call(() =>
      dynamo.send(
        new PutCommand({
          TableName: tableName('cases'),
          Item: newCase,
          ConditionExpression: 'attribute_not_exists(caseId)',
        }),
      ),
    );

    return { case: newCase, created: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;

    return { case: await requireCase(newCase.caseId), created: false };
  }
};

export const listCases = (
  status: CaseStatus,
  limit: number,
  cursor?: string,
): Promise<Page<Case>> =>
  queryPage<Case>(
    {
      TableName: tableName('cases'),
      IndexName: 'byStatus',
      KeyConditionExpression: '#status = :status',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':status': status },
      ScanIndexForward: false,
    },
    limit,
    cursor,
  );

export const getAlert = async (alertId: string): Promise<Alert | undefined> => {
  const answer = await call(() =>
    dynamo.send(
      new GetCommand({ TableName: tableName('alerts'), Key: { alertId } }),
    ),
  );

  return answer.Item as Alert | undefined;
};

export const requireAlert = async (alertId: string): Promise<Alert> => {
  const alert = await getAlert(alertId);
  if (alert === undefined) throw new NotFoundError(`No alert ${alertId}`);

  return alert;
};

/** Writes an alert; false when the same record was already stored. */
export const putAlert = async (alert: Alert): Promise<boolean> => {
  const existing = await getAlert(alert.alertId);
  if (
    existing &&
    JSON.stringify(sorted(existing)) === JSON.stringify(sorted(alert))
  ) {
    return false;
  }
  await call(() =>
    dynamo.send(
      new PutCommand({ TableName: tableName('alerts'), Item: alert }),
    ),
  );

  return true;
};

const sorted = (record: object): [string, unknown][] =>
  Object.entries(record)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => a.localeCompare(b));

/** One page of a case's alerts, most recent first. */
export const listCaseAlerts = (
  caseId: string,
  limit: number,
  cursor?: string,
): Promise<Page<Alert>> =>
  queryPage<Alert>(caseAlertsQuery(caseId), limit, cursor);

const caseAlertsQuery = (caseId: string) => ({
  TableName: tableName('alerts'),
  IndexName: 'byCase',
  KeyConditionExpression: 'caseId = :caseId',
  ExpressionAttributeValues: { ':caseId': caseId },
  ScanIndexForward: false,
});

/** Every alert of a case, however many, paging internally. */
export const listAllCaseAlerts = (caseId: string): Promise<Alert[]> =>
  queryAll<Alert>(caseAlertsQuery(caseId));

/**
 * The name of a case opened from an alert: its policy and the day it
 * opened. It never names the user, so that pseudonymisation has no name to
 * hide in it.
 */
export const caseName = (policyName: string, openedAt: string): string =>
  `${policyName} (opened ${openedAt.slice(0, 10)})`;

/**
 * Confirms an alert: it joins the user's Active case, or opens one named
 * after the alert's policy. Repeating the call changes nothing.
 */
export const confirmAlert = async (
  alertId: string,
  actor: Actor,
  now: string,
): Promise<{ alert: Alert; case: Case; openedCase: boolean }> => {
  const alert = await requireAlert(alertId);
  if (alert.status === 'Dismissed' || alert.status === 'Resolved') {
    throw new ConflictError(
      `Alert ${alertId} is ${alert.status}; only alerts that need review can be confirmed`,
    );
  }
  const user = await requireUser(alert.userId);
  const candidate = deterministicId('case', alert.alertId);
  const caseId =
    alert.caseId ??
    (await claimActiveCase(user.userId, user.activeCaseId ?? candidate));
  const opened = await putCaseIfAbsent({
    caseId,
    name: caseName(alert.policyName, now),
    status: 'Active',
    userId: user.userId,
    openedAt: now,
    updatedAt: now,
    updatedBy: actor.userId,
  });
  const confirmed = await attachAlert(alert, caseId);
  await touchCase(caseId, actor.userId, now);

  return { alert: confirmed, case: opened.case, openedCase: opened.created };
};

const attachAlert = async (alert: Alert, caseId: string): Promise<Alert> => {
  try {
    const answer = await call(() =>
      dynamo.send(
        new UpdateCommand({
          TableName: tableName('alerts'),
          Key: { alertId: alert.alertId },
          UpdateExpression: 'SET caseId = :caseId, #status = :confirmed',
          ConditionExpression:
            'attribute_not_exists(caseId) OR caseId = :caseId',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':caseId': caseId,
            ':confirmed': 'Confirmed',
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );

    return answer.Attributes as Alert;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    throw new ConflictError(
      `Alert ${alert.alertId} is already in another case`,
    );
  }
};

/** Records who last changed a case and when. */
export const touchCase = async (
  caseId: string,
  userId: string,
  now: string,
): Promise<void> => {
  await call(() =>
    dynamo.send(
      new UpdateCommand({
        TableName: tableName('cases'),
        Key: { caseId },
        UpdateExpression: 'SET updatedAt = :now, updatedBy = :userId',
        ConditionExpression: 'attribute_exists(caseId)',
        ExpressionAttributeValues: { ':now': now, ':userId': userId },
      }),
    ),
  );
};

/** Counts a case's alerts without reading them all into memory. */
export const countCaseAlerts = async (caseId: string): Promise<number> => {
  let count = 0;
  let cursor: Record<string, unknown> | undefined;
  do {
    const answer = await call(() =>
      dynamo.send(
        new QueryCommand({
          TableName: tableName('alerts'),
          IndexName: 'byCase',
          KeyConditionExpression: 'caseId = :caseId',
          ExpressionAttributeValues: { ':caseId': caseId },
          Select: 'COUNT',
          ExclusiveStartKey: cursor,
        }),
      ),
    );
    count += answer.Count ?? 0;
    cursor = answer.LastEvaluatedKey;
  } while (cursor);

  return count;
};
