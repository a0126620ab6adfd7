import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseInput } from '../domain/action.js';
import { DomainError, InvalidInputError } from '../domain/errors.js';
import {
  changePrivacySetting,
  isPseudonymised,
  readPrivacySetting,
} from '../domain/privacy.js';
import {
  auditTargetFromCaller,
  pseudonymise,
  pseudonymsForUsers,
  storeMissingAliases,
  userIdFromCaller,
} from '../domain/pseudonymise.js';
import { derivedKey } from '../domain/secrets.js';
import type { ApiRequest, ApiResponse } from './http.js';

/** The privacy setting: `{ pseudonymise, updatedAt, updatedBy }`. */
export const getPrivacyRoute = async (): Promise<ApiResponse> => ({
  status: 200,
  body: await readPrivacySetting(),
});

const privacyBody = z.object({ pseudonymise: z.boolean() }).strict();

/**
 * Turns pseudonymisation on or off; the change is audited. The answer is
 * the setting with `changed: false` when it already had that value.
 */
export const putPrivacyRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const body = parseInput(privacyBody, request.body, 'body');
  const result = await changePrivacySetting(
    body.pseudonymise,
    request.actor,
    new Date().toISOString(),
  );

  return { status: 200, body: { ...result.setting, changed: result.changed } };
};

/*
 * Paging cursors hold the last key read, which for users is their id and
 * sort name: while pseudonymised they are sealed with AES-256-GCM under a
 * key derived from the deployment secret, and unsealed when sent back.
 */
const SEALED_PREFIX = 'p.';
let cursorKey: Promise<Buffer> | undefined;
const sealingKey = (): Promise<Buffer> => {
  if (cursorKey === undefined) {
    const pending = derivedKey('cursor');
    // A missing secret may be configured later: do not keep the failure.
    pending.catch(() => {
      cursorKey = undefined;
    });
    cursorKey = pending;
  }

  return cursorKey;
};

const sealCursor = async (cursor: string): Promise<string> => {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await sealingKey(), iv);
  const sealed = Buffer.concat([cipher.update(cursor, 'utf8'), cipher.final()]);
  const bytes = Buffer.concat([iv, cipher.getAuthTag(), sealed]);

  return `${SEALED_PREFIX}${bytes.toString('base64url')}`;
};

const unsealCursor = async (cursor: string): Promise<string> => {
  if (!cursor.startsWith(SEALED_PREFIX)) return cursor;
  try {
    const bytes = Buffer.from(cursor.slice(SEALED_PREFIX.length), 'base64url');
    const decipher = createDecipheriv(
      'aes-256-gcm',
      await sealingKey(),
      bytes.subarray(0, 12),
    );
    decipher.setAuthTag(bytes.subarray(12, 28));

    return Buffer.concat([
      decipher.update(bytes.subarray(28)),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    throw new InvalidInputError('The cursor is not one this API gave out', [
      { field: 'cursor', problem: 'pass the nextCursor of a previous page' },
    ]);
  }
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The request with aliases resolved where a user id is expected (the path's
 * `userId`, the body's `userId`, the audit filter `target`) and the cursor
 * unsealed. There only aliases are accepted: a real user id answers 404 as
 * an unknown user (see userIdFromCaller).
 */
const resolveRequest = async (request: ApiRequest): Promise<ApiRequest> => {
  const params = { ...request.params };
  if (params.userId) params.userId = await userIdFromCaller(params.userId);
  const query = { ...request.query };
  if (query.target) query.target = await auditTargetFromCaller(query.target);
  if (query.cursor) query.cursor = await unsealCursor(query.cursor);
  const body =
    isObject(request.body) && typeof request.body.userId === 'string'
      ? { ...request.body, userId: await userIdFromCaller(request.body.userId) }
      : request.body;

  return { ...request, params, query, body, pseudonymise: true };
};

/** The user ids a request names, to replace in error messages. */
const requestUserIds = (request: ApiRequest): string[] =>
  [
    request.params.userId,
    isObject(request.body) ? request.body.userId : undefined,
  ].filter((id): id is string => typeof id === 'string');

const presentBody = async (body: unknown): Promise<unknown> => {
  if (!isObject(body) && !Array.isArray(body)) return body;
  const presented = await pseudonymise(body);
  await storeMissingAliases(presented.users, presented.pseudonyms);
  const value = presented.value;
  if (isObject(value) && typeof value.nextCursor === 'string') {
    return { ...value, nextCursor: await sealCursor(value.nextCursor) };
  }

  return value;
};

/**
 * Runs a route as pseudonymisation wants it. The setting is read once per
 * request. While it is on, aliases are accepted wherever a user id is, the
 * answer shows users by alias, and error messages name no user. A body that
 * is not JSON (a CSV export) is the route's to present: the request says
 * `pseudonymise: true`.
 */
export const servePseudonymised = async (
  request: ApiRequest,
  route: (request: ApiRequest) => Promise<ApiResponse>,
): Promise<ApiResponse> => {
  if (!(await isPseudonymised())) {
    return route({ ...request, pseudonymise: false });
  }
  const resolved = await resolveRequest(request);
  try {
    const response = await route(resolved);

    return { ...response, body: await presentBody(response.body) };
  } catch (error) {
    if (error instanceof DomainError && error.status < 500) {
      const pseudonyms = await pseudonymsForUsers(requestUserIds(resolved));
      error.message = pseudonyms.text(error.message);
    }
    throw error;
  }
};
