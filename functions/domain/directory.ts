import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients.js';
import { tableName } from './config.js';
import type { Page } from './db.js';
import { call, isConditionFailure, queryAll, queryPage } from './db.js';
import { ConfigurationError, NotFoundError } from './errors.js';
import { logger } from './logger.js';
import type { Policy, PolicyMember, User } from './model.js';
import { aliasOf } from './privacy.js';

const USER_KIND = 'user';
const POLICY_KIND = 'policy';

export const getUser = async (userId: string): Promise<User | undefined> => {
  const answer = await call(() =>
    dynamo.send(
      new GetCommand({ TableName: tableName('users'), Key: { userId } }),
    ),
  );

  return answer.Item as User | undefined;
};

export const requireUser = async (userId: string): Promise<User> => {
  const user = await getUser(userId);
  if (user === undefined) throw new NotFoundError(`No user ${userId}`);

  return user;
};

/** Reads many users at once (missing ones are left out). */
export const getUsers = async (
  userIds: readonly string[],
): Promise<Map<string, User>> => {
  const found = new Map<string, User>();
  const unique = [...new Set(userIds)];
  for (let start = 0; start < unique.length; start += 100) {
    let keys = unique.slice(start, start + 100).map((userId) => ({ userId }));
    while (keys.length > 0) {
      const answer = await call(() =>
        dynamo.send(
          new BatchGetCommand({
            RequestItems: { [tableName('users')]: { Keys: keys } },
          }),
        ),
      );
      for (const item of answer.Responses?.[tableName('users')] ?? []) {
        found.set(item.userId as string, item as User);
      }
      keys = (answer.UnprocessedKeys?.[tableName('users')]?.Keys ??
        []) as typeof keys;
    }
  }

  return found;
};

/**
 * Writes a user, with their alias so that `byAlias` finds them. Returns
 * false when an identical record was already there, so that a re-import
 * reports nothing new. A writer without the alias secret (an import run
 * outside the stack) keeps the stored alias; the API stores a missing one
 * the first time it shows the user.
 */
export const putUser = async (user: User): Promise<boolean> => {
  const existing = await getUser(user.userId);
  const alias = (await aliasIfKeyed(user.userId)) ?? existing?.alias;
  const merged = { ...user, activeCaseId: existing?.activeCaseId, alias };
  if (existing && sameRecord(existing, merged)) return false;
  await call(() =>
    dynamo.send(
      new PutCommand({
        TableName: tableName('users'),
        Item: { ...merged, kind: USER_KIND, sortName: sortName(user) },
      }),
    ),
  );

  return true;
};

const aliasIfKeyed = async (userId: string): Promise<string | undefined> => {
  try {
    return await aliasOf(userId);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    logger.warn('User written without an alias: no alias secret configured');

    return undefined;
  }
};

/** The ids of the users an alias belongs to (one, unless aliases collide). */
export const findUserIdsByAlias = async (alias: string): Promise<string[]> => {
  const answer = await call(() =>
    dynamo.send(
      new QueryCommand({
        TableName: tableName('users'),
        IndexName: 'byAlias',
        KeyConditionExpression: '#alias = :alias',
        ExpressionAttributeNames: { '#alias': 'alias' },
        ExpressionAttributeValues: { ':alias': alias },
        ProjectionExpression: 'userId',
        Limit: 2,
      }),
    ),
  );

  return (answer.Items ?? []).map((item) => item.userId as string);
};

/**
 * The ids of the users whose display name is `displayName`, in any letter
 * case: a Query of the `byKind` index, whose sort key is the lower-cased
 * display name, '#' and the user id. Stops at `limit` ids, enough to tell
 * one person from several; names that merely start with `name#` are left
 * out.
 */
export const findUserIdsByDisplayName = async (
  displayName: string,
  limit = 2,
): Promise<string[]> => {
  const name = displayName.toLowerCase();
  const found: string[] = [];
  let cursor: Record<string, unknown> | undefined;
  do {
    const answer = await call(() =>
      dynamo.send(
        new QueryCommand({
          TableName: tableName('users'),
          IndexName: 'byKind',
          KeyConditionExpression:
            'kind = :kind AND begins_with(sortName, :prefix)',
          ExpressionAttributeValues: {
            ':kind': USER_KIND,
            ':prefix': `${name}#`,
          },
          ExclusiveStartKey: cursor,
        }),
      ),
    );
    for (const item of answer.Items ?? []) {
      const user = item as User;
      if (user.displayName.toLowerCase() === name) found.push(user.userId);
    }
    cursor = answer.LastEvaluatedKey;
  } while (cursor && found.length < limit);

  return found.slice(0, limit);
};

/** Stores a user's alias (written before the user had one, or re-keyed). */
export const storeUserAlias = async (
  userId: string,
  alias: string,
): Promise<void> => {
  try {
    await call(() =>
      dynamo.send(
        new UpdateCommand({
          TableName: tableName('users'),
          Key: { userId },
          UpdateExpression: 'SET #alias = :alias',
          ConditionExpression: 'attribute_exists(userId)',
          ExpressionAttributeNames: { '#alias': 'alias' },
          ExpressionAttributeValues: { ':alias': alias },
        }),
      ),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
};

const sortName = (user: User): string =>
  `${user.displayName.toLowerCase()}#${user.userId}`;

const sameRecord = (stored: object, next: object): boolean => {
  const strip = ({ kind, sortName, ...rest }: Record<string, unknown>) => rest;
  const a = strip(stored as Record<string, unknown>);
  const b = JSON.parse(JSON.stringify(next)) as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);

  return [...keys].every(
    (key) => JSON.stringify(a[key]) === JSON.stringify(b[key]),
  );
};

export const listUsers = (
  limit: number,
  cursor?: string,
): Promise<Page<User>> =>
  queryPage<User>(
    {
      TableName: tableName('users'),
      IndexName: 'byKind',
      KeyConditionExpression: 'kind = :kind',
      ExpressionAttributeValues: { ':kind': USER_KIND },
    },
    limit,
    cursor,
  );

/**
 * Marks a case as the user's active one unless another already is.
 * Returns the active case id that holds after the call.
 */
export const claimActiveCase = async (
  userId: string,
  caseId: string,
): Promise<string> => {
  try {
    await call(() =>
      dynamo.send(
        new UpdateCommand({
          TableName: tableName('users'),
          Key: { userId },
          UpdateExpression: 'SET activeCaseId = :caseId',
          ConditionExpression:
            'attribute_exists(userId) AND ' +
            '(attribute_not_exists(activeCaseId) OR activeCaseId = :caseId)',
          ExpressionAttributeValues: { ':caseId': caseId },
        }),
      ),
    );

    return caseId;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const user = await requireUser(userId);

    return user.activeCaseId ?? claimActiveCase(userId, caseId);
  }
};

export const getPolicy = async (
  policyId: string,
): Promise<Policy | undefined> => {
  const answer = await call(() =>
    dynamo.send(
      new GetCommand({ TableName: tableName('policies'), Key: { policyId } }),
    ),
  );

  return answer.Item as Policy | undefined;
};

export const requirePolicy = async (policyId: string): Promise<Policy> => {
  const policy = await getPolicy(policyId);
  if (policy === undefined) throw new NotFoundError(`No policy ${policyId}`);

  return policy;
};

/** Writes a policy; false when the same record was already there. */
export const putPolicy = async (policy: Policy): Promise<boolean> => {
  const existing = await getPolicy(policy.policyId);
  if (existing && sameRecord(existing, policy)) return false;
  await call(() =>
    dynamo.send(
      new PutCommand({
        TableName: tableName('policies'),
        Item: { ...policy, kind: POLICY_KIND },
      }),
    ),
  );

  return true;
};

export const listPolicies = (): Promise<Policy[]> =>
  queryAll<Policy>({
    TableName: tableName('policies'),
    IndexName: 'byKind',
    KeyConditionExpression: 'kind = :kind',
    ExpressionAttributeValues: { ':kind': POLICY_KIND },
  });

/**
 * Adds a user to a policy's scope. The first add wins: adding again keeps
 * the original time and reports `added: false`.
 */
export const addPolicyMember = async (
  member: PolicyMember,
): Promise<{ member: PolicyMember; added: boolean }> => {
  try {
    await call(() =>
      dynamo.send(
        new PutCommand({
          TableName: tableName('policyMembers'),
          Item: member,
          ConditionExpression: 'attribute_not_exists(userId)',
        }),
      ),
    );

    return { member, added: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const existing = await getPolicyMember(member.policyId, member.userId);

    return { member: existing ?? member, added: false };
  }
};

export const getPolicyMember = async (
  policyId: string,
  userId: string,
): Promise<PolicyMember | undefined> => {
  const answer = await call(() =>
    dynamo.send(
      new GetCommand({
        TableName: tableName('policyMembers'),
        Key: { policyId, userId },
      }),
    ),
  );

  return answer.Item as PolicyMember | undefined;
};

/** The policies a user is in, with the time they were added to each. */
export const listMembershipsOfUser = (
  userId: string,
): Promise<PolicyMember[]> =>
  queryAll<PolicyMember>({
    TableName: tableName('policyMembers'),
    IndexName: 'byUser',
    KeyConditionExpression: 'userId = :userId',
    ExpressionAttributeValues: { ':userId': userId },
  });
