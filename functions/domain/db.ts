import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
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

export const decodeCursor = (cursor: string | undefined): Key | undefined => {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const key: unknown = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    );
    if (key === null || typeof key !== 'object' || Array.isArray(key)) {
      throw new Error('not an object');
    }

    return key as Key;
  } catch {
    throw new InvalidInputError('The cursor is not one this API gave out', [
      { field: 'cursor', problem: 'pass the nextCursor of a previous page' },
    ]);
  }
};
