import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { z } from 'zod';
import { parseInput } from '../domain/action.js';
import {
  ForbiddenError,
  InvalidInputError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '../domain/errors.js';
import {
  type Actor,
  idSchema,
  ROLE_GROUPS,
  type RoleGroup,
} from '../domain/model.js';

/** Largest request body the API takes; larger ones answer 413. */
export const MAX_BODY_BYTES = 64 * 1024;

/** What a route implementation sees of a request. */
export interface ApiRequest {
  readonly actor: Actor;
  readonly params: Record<string, string>;
  readonly query: Record<string, string | undefined>;
  readonly headers: Record<string, string | undefined>;
  readonly body: unknown;
  /** Pseudonymisation as read once for this request (see api/privacy.ts). */
  readonly pseudonymise?: boolean;
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

/**
 * An answer: JSON unless the route set another content type, in which case
 * its body (a string, such as CSV) is sent as it is.
 */
export const json = (
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 => {
  const type = headers['content-type'] ?? 'application/json; charset=utf-8';
  const raw = !type.startsWith('application/json') && typeof body === 'string';

  return {
    statusCode: status,
    headers: { 'content-type': type, 'cache-control': 'no-store', ...headers },
    body: raw ? body : JSON.stringify(body),
  };
};

/**
 * Reads the caller from the JWT claims API Gateway verified. HTTP APIs pass
 * array claims flattened to a string such as `[GroupA GroupB]`, so both
 * shapes are accepted.
 */
export const actorFromEvent = (event: APIGatewayProxyEventV2): Actor => {
  const context = event.requestContext as {
    authorizer?: { jwt?: { claims?: Record<string, unknown> } };
  };
  const claims = context.authorizer?.jwt?.claims;
  // Staff sign in with their address, so Cognito's username is a UUID: the
  // ID token's email names the person in notes, runs and the audit log.
  if (!claims) {
    throw new UnauthorizedError(
      'Send a bearer token: Authorization: Bearer <token>',
    );
  }
  const subject = claims.email ?? claims['cognito:username'] ?? claims.sub;
  if (typeof subject !== 'string' || subject === '') {
    throw new UnauthorizedError('The token names no user');
  }

  return { userId: subject, groups: parseGroups(claims['cognito:groups']) };
};

const parseGroups = (claim: unknown): RoleGroup[] => {
  const names = Array.isArray(claim)
    ? claim
    : typeof claim === 'string'
      ? claim.replace(/^\[|\]$/g, '').split(/[\s,]+/)
      : [];

  return names.filter((name): name is RoleGroup =>
    (ROLE_GROUPS as readonly string[]).includes(name),
  );
};

/** Parses a JSON body, with the 4xx answers that say what to fix. */
export const parseBody = (event: APIGatewayProxyEventV2): unknown => {
  if (event.body === undefined || event.body === '') return undefined;
  const text = event.isBase64Encoded
    ? Buffer.from(event.body, 'base64').toString('utf8')
    : event.body;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(
      `The body is larger than ${MAX_BODY_BYTES / 1024} KB; send less`,
    );
  }
  const type = event.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new UnsupportedMediaTypeError(
      'Send the body as JSON with Content-Type: application/json',
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInputError('The body is not valid JSON', [
      { field: '(body)', problem: 'must be a JSON document' },
    ]);
  }
};

// A path id is taken as sent: spaces around it are refused, not trimmed.
const pathIdSchema = z
  .string()
  .refine((id) => id === id.trim(), 'must not contain spaces, #, /, \\ or ?')
  .pipe(idSchema);

/**
 * Checks every path parameter against the id rules (at most 200 characters,
 * no spaces or separators) before any lookup: DynamoDB refuses keys over
 * 2 KB with an error that is not the caller's to read.
 */
export const checkPathParams = (
  params: Record<string, string>,
): Record<string, string> => {
  for (const [name, value] of Object.entries(params)) {
    parseInput(pathIdSchema, value, `path.${name}`);
  }

  return params;
};

/** Reads `limit` from the query: 1 to 100, 25 when absent. */
export const pageLimit = (query: ApiRequest['query']): number => {
  const raw = query.limit;
  if (raw === undefined) return 25;
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new InvalidInputError('limit must be a whole number from 1 to 100', [
      { field: 'limit', problem: 'must be an integer between 1 and 100' },
    ]);
  }

  return limit;
};

/** Refuses the call unless the actor is in one of the role groups. */
export const requireGroup = (
  actor: Actor,
  groups: readonly RoleGroup[],
  what: string,
): void => {
  if (!actor.groups.some((group) => groups.includes(group))) {
    throw new ForbiddenError(
      `${what} needs one of these role groups: ${groups.join(', ')}`,
    );
  }
};

const idempotencyKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{8,128}$/, 'use 8 to 128 letters, digits, . _ : -')
  .optional();

/**
 * The request's `Idempotency-Key` header, if any: a repeated request with
 * the same key returns what the first one did.
 */
export const idempotencyKeyOf = (request: ApiRequest): string | undefined =>
  parseInput(
    idempotencyKeySchema,
    request.headers['idempotency-key'],
    'Idempotency-Key header',
  );
