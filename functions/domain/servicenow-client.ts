import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import {
  ConfigurationError,
  ServiceNowAuthError,
  ServiceNowError,
  TransientError,
} from './errors.js';
import { logger } from './logger.js';
import { readSecret } from './secrets.js';

/*
 * The few ServiceNow Table API calls the product makes: find a record by
 * correlation id, and insert one. Status codes become the project's errors:
 * 401/403 ServiceNowAuthError, other 4xx ServiceNowError, 5xx, network
 * failures and timeouts TransientError (the state machine retries those).
 * A 429 is waited out here when ServiceNow asks for a short pause.
 */

/** Longest answer wait for one request. */
export const REQUEST_TIMEOUT_MS = 10_000;
/** Longest Retry-After waited in the Lambda; longer waits go to the state machine. */
export const MAX_RETRY_AFTER_SECONDS = 20;
/** 429 answers waited out per request before handing back to the state machine. */
export const MAX_RATE_LIMIT_RETRIES = 3;
/** Time one action may spend talking to ServiceNow (the Lambda allows 60 s). */
export const CALL_BUDGET_MS = 45_000;
const DEFAULT_RETRY_AFTER_SECONDS = 1;

export interface ServiceNowCredentials {
  readonly username: string;
  readonly password: string;
}

/** Where and as whom to call ServiceNow; `fetch` and `sleep` are for tests. */
export interface ServiceNowConnection {
  readonly instanceUrl: string;
  readonly credentials: ServiceNowCredentials;
  /** Epoch milliseconds after which no request or wait starts. */
  readonly deadline?: number;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A ServiceNow record as this product refers to it. */
export interface RecordRef {
  readonly sysId: string;
  readonly number: string;
}

const credentialsSchema = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
});

/** The ServiceNow account from the secret `{"username","password"}`. */
export const serviceNowCredentials =
  async (): Promise<ServiceNowCredentials> => {
    const secret = await readSecret('SERVICENOW_SECRET');
    try {
      return credentialsSchema.parse(JSON.parse(secret));
    } catch {
      // The parse error would quote the secret: keep it out of the message.
      throw new ConfigurationError(
        'The ServiceNow secret must be JSON with a username and a password',
      );
    }
  };

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Validates the instance URL setting: https, or http on this machine only
 * (the local stand-in), so credentials never cross a network in clear text.
 */
export const serviceNowInstanceUrl = (value: string): string => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError('SERVICENOW_INSTANCE_URL is not a URL');
  }
  const local = url.protocol === 'http:' && LOOPBACK.has(url.hostname);
  if (url.protocol !== 'https:' && !local) {
    throw new ConfigurationError(
      'SERVICENOW_INSTANCE_URL must use https (http only on 127.0.0.1)',
    );
  }

  return url.origin;
};

/** The link a person follows to open the record in ServiceNow. */
export const recordLink = (
  instanceUrl: string,
  table: string,
  sysId: string,
): string => {
  const target = `${table}.do?sys_id=${sysId}`;

  return `${instanceUrl}/nav_to.do?uri=${encodeURIComponent(target)}`;
};

type Access = 'read' | 'create';

interface TableCall {
  readonly method: 'GET' | 'POST';
  readonly table: string;
  readonly search?: URLSearchParams;
  readonly body?: Readonly<Record<string, string>>;
}

const accessOf = (call: TableCall): Access =>
  call.method === 'GET' ? 'read' : 'create';

const authorization = ({ username, password }: ServiceNowCredentials) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

const remainingMs = (connection: ServiceNowConnection): number =>
  (connection.deadline ?? Number.POSITIVE_INFINITY) - Date.now();

const requestTimeout = (connection: ServiceNowConnection): number => {
  const remaining = remainingMs(connection);
  if (remaining <= 0) {
    throw new TransientError(
      'ServiceNow took too long to answer; the step will try again',
    );
  }

  return Math.min(REQUEST_TIMEOUT_MS, remaining);
};

const tableUrl = (connection: ServiceNowConnection, call: TableCall) => {
  const url = new URL(`/api/now/table/${call.table}`, connection.instanceUrl);
  if (call.search) url.search = call.search.toString();

  return url;
};

const networkError = (error: unknown): TransientError => {
  // DOMException is not an Error subclass in every realm: check the name.
  const timedOut =
    (error as { name?: unknown } | null)?.name === 'TimeoutError';
  const message = timedOut
    ? 'ServiceNow did not answer in time; the step will try again'
    : 'ServiceNow could not be reached; the step will try again';

  return new TransientError(message, { cause: error });
};

interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly body: unknown;
}

const readBody = async (response: Response): Promise<unknown> => {
  const text = await response.text();
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    // A sleeping developer instance answers with an HTML page.
    return undefined;
  }
};

const exchange = async (
  connection: ServiceNowConnection,
  call: TableCall,
): Promise<Answer> => {
  const send = connection.fetch ?? fetch;
  try {
    const response = await send(tableUrl(connection, call), {
      method: call.method,
      headers: {
        Accept: 'application/json',
        Authorization: authorization(connection.credentials),
        ...(call.body ? { 'Content-Type': 'application/json' } : {}),
      },
      body: call.body ? JSON.stringify(call.body) : undefined,
      signal: AbortSignal.timeout(requestTimeout(connection)),
    });
    const body = await readBody(response);

    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body,
    };
  } catch (error) {
    if (error instanceof TransientError) throw error;
    throw networkError(error);
  }
};

/** Seconds from a Retry-After header: a number of seconds or an HTTP date. */
export const retryAfterSeconds = (
  header: string | null,
  now = Date.now(),
): number => {
  if (header === null || header.trim() === '') {
    return DEFAULT_RETRY_AFTER_SECONDS;
  }
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(header);
  if (Number.isNaN(date)) return DEFAULT_RETRY_AFTER_SECONDS;

  return Math.max(0, Math.ceil((date - now) / 1000));
};

const rateLimited = (waitSeconds: number) =>
  new TransientError(
    `ServiceNow is rate limiting requests (429, retry after ${waitSeconds} s); ` +
      'the step will try again',
  );

const mayWait = (
  connection: ServiceNowConnection,
  attempt: number,
  waitSeconds: number,
): boolean =>
  attempt < MAX_RATE_LIMIT_RETRIES &&
  waitSeconds <= MAX_RETRY_AFTER_SECONDS &&
  waitSeconds * 1000 + REQUEST_TIMEOUT_MS <= remainingMs(connection);

/** Sends a call, waiting out short 429s; returns any other answer. */
const send = async (
  connection: ServiceNowConnection,
  call: TableCall,
): Promise<Answer> => {
  const sleep = connection.sleep ?? ((ms: number) => delay(ms));
  for (let attempt = 0; ; attempt += 1) {
    const answer = await exchange(connection, call);
    if (answer.status !== 429) return answer;
    const waitSeconds = retryAfterSeconds(answer.retryAfter);
    if (!mayWait(connection, attempt, waitSeconds)) {
      throw rateLimited(waitSeconds);
    }
    logger.warn('ServiceNow rate limited the request', {
      table: call.table,
      method: call.method,
      retryAfterSeconds: waitSeconds,
      attempt: attempt + 1,
    });
    await sleep(waitSeconds * 1000);
  }
};

const errorBodySchema = z.object({
  error: z.object({
    message: z.string().nullish(),
    detail: z.string().nullish(),
  }),
});

/** ServiceNow's own words for a failure: `error.message: error.detail`. */
const serviceNowReason = (body: unknown): string => {
  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success) return 'no error message';
  const { message, detail } = parsed.data.error;
  const reason = [message, detail].filter(Boolean).join(': ');

  return (reason || 'no error message').slice(0, 500);
};

const authFailure = (status: number, call: TableCall): ServiceNowAuthError =>
  status === 401
    ? new ServiceNowAuthError(
        'ServiceNow refused the credentials (401): check the username and ' +
          'password in the secret',
      )
    : new ServiceNowAuthError(
        `ServiceNow denied access (403): the account lacks the ACL to ` +
          `${accessOf(call)} records in table ${call.table}`,
      );

/** The error for an answer that is not the expected success. */
const failure = (answer: Answer, call: TableCall): Error => {
  const { status } = answer;
  if (status === 401 || status === 403) return authFailure(status, call);
  if (status >= 500) {
    return new TransientError(
      `ServiceNow answered ${status}; the step will try again`,
    );
  }
  if (status >= 400) {
    return new ServiceNowError(
      `ServiceNow rejected the request to ${accessOf(call)} a record in ` +
        `table ${call.table} (${status}): ${serviceNowReason(answer.body)}`,
    );
  }

  return new ServiceNowError(
    `ServiceNow answered ${status} where ${call.method === 'GET' ? 200 : 201} ` +
      'was expected; check SERVICENOW_INSTANCE_URL and that the instance is awake',
  );
};

const recordSchema = z.object({
  sys_id: z.string().min(1),
  number: z.string().min(1),
});

const unreadable = (call: TableCall) =>
  new ServiceNowError(
    `ServiceNow's answer for table ${call.table} lacks sys_id or number; ` +
      'check SERVICENOW_INSTANCE_URL and that the table has a number field',
  );

const toRef = (record: z.infer<typeof recordSchema>): RecordRef => ({
  sysId: record.sys_id,
  number: record.number,
});

/**
 * The record whose `correlation_id` equals the value, if any. The value may
 * not contain `^`, which separates terms of a ServiceNow encoded query.
 */
export const findRecordByCorrelation = async (
  connection: ServiceNowConnection,
  table: string,
  correlationId: string,
): Promise<RecordRef | undefined> => {
  const search = new URLSearchParams({
    sysparm_query: `correlation_id=${correlationId}`,
    sysparm_limit: '1',
    sysparm_fields: 'sys_id,number',
  });
  const call: TableCall = { method: 'GET', table, search };
  const answer = await send(connection, call);
  if (answer.status !== 200) throw failure(answer, call);
  const parsed = z
    .object({ result: z.array(recordSchema) })
    .safeParse(answer.body);
  if (!parsed.success) throw unreadable(call);
  const [found] = parsed.data.result;

  return found === undefined ? undefined : toRef(found);
};

/** Inserts a record (`POST`, answered `201`) and returns its ids. */
export const insertRecord = async (
  connection: ServiceNowConnection,
  table: string,
  fields: Readonly<Record<string, string>>,
): Promise<RecordRef> => {
  const call: TableCall = { method: 'POST', table, body: fields };
  const answer = await send(connection, call);
  if (answer.status !== 201) throw failure(answer, call);
  const parsed = z.object({ result: recordSchema }).safeParse(answer.body);
  if (!parsed.success) throw unreadable(call);

  return toRef(parsed.data.result);
};
