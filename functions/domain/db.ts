import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { type NativeAttributeValue, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients.js';
import { InvalidInputError, TransientError } from './errors.js';

export type Key = Record<string, NativeAttributeValue>;

/** A page of results and the cursor that fetches the next one. */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor?: string;
}

export const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException;

const isThrottle = (error: unknown): boolean =>
  error instanceof ProvisionedThroughputExceededException ||
  error instanceof ThrottlingException ||
  error instanceof RequestLimitExceeded;

/**
 * Runs a DynamoDB call and turns throttling into a TransientError, which
 * state machines retry with backoff and the API answers with 503.
 */
export const call = async <T>(run: () => Promise<T>): Promise<T> => {
  try {
    return await run();
  } catch (error) {
    if (isThrottle(error)) {
      throw new TransientError('The database is busy; try again', {
        cause: error,
      });
    }
    throw error;
  }
};

export const encodeCursor = (key: Key | undefined): string | undefined =>
  key === undefined
    ? undefined
    : Buffer.from(JSON.stringify(key)).toString('base64url');

const foreignCursor = (): InvalidInputError =>
  new InvalidInputError('The cursor is not one this API gave out', [
    { field: 'cursor', problem: 'pass the nextCursor of a previous page' },
  ]);

/** Key attributes are strings or numbers the SDK can send as they are. */
const isKeyValue = (value: unknown): boolean =>
  typeof value === 'string' || Number.isSafeInteger(value);

export const decodeCursor = (cursor: string | undefined): Key | undefined => {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const key: unknown = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    );
    if (key === null || typeof key !== 'object' || Array.isArray(key)) {
      throw new Error('not an object');
    }
    if (!Object.values(key).every(isKeyValue)) {
      throw new Error('not a key');
    }

    return key as Key;
  } catch {
    throw foreignCursor();
  }
};

/**
 * DynamoDB checks a start key only against the table: a cursor that is
 * JSON but not a key of this query (made up, or from another list) comes
 * back as a ValidationException, which is the caller's to fix.
 */
const isRefusedStartKey = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ValidationException';

/** A Query on a table or index: its key condition and values. */
export interface QuerySpec {
  readonly TableName: string;
  readonly IndexName?: string;
  readonly KeyConditionExpression: string;
  readonly ExpressionAttributeValues: Record<string, NativeAttributeValue>;
  readonly ExpressionAttributeNames?: Record<string, string>;
  /** Most recent (highest sort key) first when false. */
  readonly ScanIndexForward?: boolean;
}

/** One page of a Query, with the cursor that fetches the next one. */
export const queryPage = async <T>(
  spec: QuerySpec,
  limit: number,
  cursor?: string,
): Promise<Page<T>> => {
  const startKey = decodeCursor(cursor);
  const answer = await call(() =>
    dynamo.send(
      new QueryCommand({ ...spec, Limit: limit, ExclusiveStartKey: startKey }),
    ),
  ).catch((error: unknown) => {
    throw startKey !== undefined && isRefusedStartKey(error)
      ? foreignCursor()
      : error;
  });

  return {
    items: (answer.Items ?? []) as T[],
    nextCursor: encodeCursor(answer.LastEvaluatedKey),
  };
};

/** Every item a Query finds, reading page after page. */
export const queryAll = async <T>(spec: QuerySpec): Promise<T[]> => {
  const items: T[] = [];
  let cursor: Key | undefined;
  do {
    const answer = await call(() =>
      dynamo.send(new QueryCommand({ ...spec, ExclusiveStartKey: cursor })),
    );
    items.push(...((answer.Items ?? []) as T[]));
    cursor = answer.LastEvaluatedKey;
  } while (cursor);

  return items;
};
