import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listen } from './net.js';

/*
 * A ServiceNow Table API stand-in for the local stack and the tests, on
 * 127.0.0.1 with basic auth. It answers the calls the product makes, shaped
 * as ServiceNow shapes them: `POST /api/now/table/{table}` (201),
 * `GET /api/now/table/{table}` with `sysparm_query` terms `field=value`
 * joined by `^`, `sysparm_limit` and `sysparm_fields`, and
 * `GET /api/now/table/{table}/{sys_id}`. Records are kept in memory only and
 * are gone when the stand-in stops.
 *
 * Failure modes are switched by tests (`setMode`) or over HTTP without auth:
 * `POST /__standin/mode` with `{"mode":"429","times":1,"retryAfter":2}`.
 */

/** How the stand-in answers Table API requests. */
export type StandInMode = 'ok' | '429' | '401' | '403' | '500';

export interface ModeSwitch {
  readonly mode: StandInMode;
  /** How many matching requests answer this way; every one when left out. */
  readonly times?: number;
  /** Seconds sent in Retry-After with 429; 1 when left out. */
  readonly retryAfter?: number;
  /** Only requests with this method answer this way (`GET` or `POST`). */
  readonly method?: 'GET' | 'POST';
}

/** A stored record: every value a string, as the Table API returns them. */
export type StandInRecord = Readonly<Record<string, string>>;

export interface LocalServiceNow {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
  /** The records of a table, oldest first. */
  records(table: string): StandInRecord[];
  setMode(change: ModeSwitch): void;
}

const MAX_BODY_BYTES = 1024 * 1024;
const MODES: readonly StandInMode[] = ['ok', '429', '401', '403', '500'];
const TABLE_PATH = /^\/api\/now\/table\/([a-z][a-z0-9_]{0,79})(?:\/(\w+))?$/;

/** Number prefixes of common tables; others use their first letters. */
const PREFIXES: Readonly<Record<string, string>> = {
  incident: 'INC',
  problem: 'PRB',
  change_request: 'CHG',
  sc_request: 'REQ',
  sc_task: 'SCTASK',
  sn_si_incident: 'SIR',
  task: 'TASK',
};

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail: string | null = null,
  ) {
    super(message);
  }
}

const sendJson = (
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
};

const sendFailure = (
  response: ServerResponse,
  failure: HttpFailure,
  headers: Record<string, string> = {},
) =>
  sendJson(
    response,
    failure.status,
    {
      error: { message: failure.message, detail: failure.detail },
      status: 'failure',
    },
    headers,
  );

const tooLarge = () =>
  new HttpFailure(413, 'Request body too large', 'The limit is 1 MB');

/*
 * A body over the limit is refused at once and the rest of it is drained,
 * so the client reads a 413 rather than a reset connection.
 */
const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      request.resume();
      reject(tooLarge());

      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.off('data', onData);
        request.resume();
        reject(tooLarge());

        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.once('error', reject);
  });

const readJsonObject = async (
  request: IncomingMessage,
): Promise<Record<string, unknown>> => {
  const text = await readBody(request);
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // Answered below like any other body that is not a JSON object.
  }
  throw new HttpFailure(
    400,
    'Exception while reading request',
    'The payload is not a JSON object',
  );
};

const digest = (value: string) => createHash('sha256').update(value).digest();

const isAuthorized = (
  header: string | undefined,
  expected: string,
): boolean => {
  const given = header ?? '';

  return timingSafeEqual(digest(given), digest(expected));
};

const createdOn = (now: Date) =>
  now.toISOString().replace('T', ' ').slice(0, 19);

const numberPrefix = (table: string) =>
  PREFIXES[table] ?? table.replace(/_/g, '').slice(0, 3).toUpperCase();

const asFieldValue = (value: unknown): string =>
  typeof value === 'string' ? value : JSON.stringify(value);

/** One ServiceNow `field=value` term list, as parsed from sysparm_query. */
const parseQuery = (query: string): [string, string][] =>
  query
    .split('^')
    .filter((term) => term !== '')
    .map((term) => {
      const match = /^([a-z_][a-z0-9_]*)=(.*)$/s.exec(term);
      if (!match) {
        throw new HttpFailure(
          400,
          'Unsupported query',
          'The stand-in supports only field=value terms joined by ^',
        );
      }

      return [match[1] ?? '', match[2] ?? ''];
    });

const project = (record: StandInRecord, fields: string | null) => {
  if (!fields) return record;
  const names = fields.split(',').map((name) => name.trim());

  return Object.fromEntries(
    names
      .filter((name) => Object.hasOwn(record, name))
      .map((name) => [name, record[name]]),
  );
};

const parseModeSwitch = (body: Record<string, unknown>): ModeSwitch => {
  const { mode, times, retryAfter, method } = body;
  const valid =
    MODES.includes(mode as StandInMode) &&
    (times === undefined || (Number.isInteger(times) && Number(times) > 0)) &&
    (retryAfter === undefined ||
      (Number.isInteger(retryAfter) && Number(retryAfter) >= 0)) &&
    (method === undefined || method === 'GET' || method === 'POST');
  if (!valid) {
    throw new HttpFailure(
      400,
      'Invalid mode',
      'Send {"mode":"ok|429|401|403|500","times":n,"retryAfter":s,"method":"GET|POST"}',
    );
  }

  return body as unknown as ModeSwitch;
};

/** The in-memory tables and the numbering of their records. */
class RecordStore {
  private readonly tables = new Map<string, StandInRecord[]>();
  private readonly counters = new Map<string, number>();

  list(table: string): StandInRecord[] {
    return [...(this.tables.get(table) ?? [])];
  }

  insert(table: string, fields: Record<string, unknown>, by: string) {
    const next = (this.counters.get(table) ?? 10_000) + 1;
    this.counters.set(table, next);
    const now = createdOn(new Date());
    const record: StandInRecord = {
      ...Object.fromEntries(
        Object.entries(fields).map(([name, value]) => [
          name,
          asFieldValue(value),
        ]),
      ),
      sys_id: randomBytes(16).toString('hex'),
      number: `${numberPrefix(table)}${String(next).padStart(7, '0')}`,
      sys_class_name: table,
      sys_created_on: now,
      sys_created_by: by,
      sys_updated_on: now,
      sys_mod_count: '0',
    };
    this.tables.set(table, [...this.list(table), record]);

    return record;
  }

  find(table: string, query: string, limit: number): StandInRecord[] {
    const terms = parseQuery(query);

    return this.list(table)
      .filter((record) =>
        terms.every(([field, value]) => (record[field] ?? '') === value),
      )
      .slice(0, limit);
  }
}

/** The current failure mode and how many more requests it answers. */
class ModeState {
  private current: ModeSwitch = { mode: 'ok' };
  private left = Number.POSITIVE_INFINITY;

  set(change: ModeSwitch) {
    this.current = change;
    this.left = change.times ?? Number.POSITIVE_INFINITY;
  }

  /** The mode for this request, counting it against `times`. */
  take(method: string | undefined): ModeSwitch {
    const { mode, method: only } = this.current;
    if (mode === 'ok' || (only !== undefined && only !== method)) {
      return { mode: 'ok' };
    }
    const taken = this.current;
    this.left -= 1;
    if (this.left <= 0) this.set({ mode: 'ok' });

    return taken;
  }
}

const modeFailure = (change: ModeSwitch): HttpFailure | undefined => {
  switch (change.mode) {
    case '401':
      return new HttpFailure(
        401,
        'User Not Authenticated',
        'Required to provide Auth information',
      );
    case '403':
      return new HttpFailure(
        403,
        'Operation Failed',
        'ACL Exception Insert Failed due to security constraints',
      );
    case '429':
      return new HttpFailure(
        429,
        'Rate limit exceeded',
        'Too many requests for this user',
      );
    case '500':
      return new HttpFailure(500, 'Internal server error', null);
    default:
      return undefined;
  }
};

interface StandInContext {
  readonly store: RecordStore;
  readonly mode: ModeState;
  readonly expectedAuth: string;
  readonly username: string;
}

const answerModeFailure = (
  context: StandInContext,
  request: IncomingMessage,
  response: ServerResponse,
): boolean => {
  const change = context.mode.take(request.method);
  const failure = modeFailure(change);
  if (failure === undefined) return false;
  const headers: Record<string, string> =
    change.mode === '429'
      ? { 'Retry-After': String(change.retryAfter ?? 1) }
      : {};
  sendFailure(response, failure, headers);

  return true;
};

const tableGet = (
  context: StandInContext,
  url: URL,
  table: string,
  sysId: string | undefined,
) => {
  if (sysId !== undefined) {
    const found = context.store
      .list(table)
      .find((record) => record.sys_id === sysId);
    if (!found) {
      throw new HttpFailure(
        404,
        'No Record found',
        "Record doesn't exist or ACL restricts the record retrieval",
      );
    }

    return { result: project(found, url.searchParams.get('sysparm_fields')) };
  }
  const limit = Number(url.searchParams.get('sysparm_limit') ?? 10_000);
  const query = url.searchParams.get('sysparm_query') ?? '';
  const fields = url.searchParams.get('sysparm_fields');
  const result = context.store
    .find(table, query, Number.isInteger(limit) && limit > 0 ? limit : 10_000)
    .map((record) => project(record, fields));

  return { result };
};

const handleTable = async (
  context: StandInContext,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
) => {
  const match = TABLE_PATH.exec(url.pathname);
  if (!match) {
    throw new HttpFailure(400, 'Requested URI does not represent any resource');
  }
  if (answerModeFailure(context, request, response)) return;
  if (!isAuthorized(request.headers.authorization, context.expectedAuth)) {
    const failure = modeFailure({ mode: '401' }) as HttpFailure;
    sendFailure(response, failure, {
      'WWW-Authenticate': 'Basic realm="Service-now"',
    });

    return;
  }
  const [, table = '', sysId] = match;
  if (request.method === 'GET') {
    sendJson(response, 200, tableGet(context, url, table, sysId));
  } else if (request.method === 'POST' && sysId === undefined) {
    const fields = await readJsonObject(request);
    const record = context.store.insert(table, fields, context.username);
    sendJson(
      response,
      201,
      { result: record },
      {
        Location: `${url.origin}/api/now/table/${table}/${record.sys_id}`,
      },
    );
  } else {
    throw new HttpFailure(405, 'Method not Supported', null);
  }
};

const handleModeSwitch = async (
  context: StandInContext,
  request: IncomingMessage,
  response: ServerResponse,
) => {
  if (request.method !== 'POST') {
    throw new HttpFailure(405, 'Method not Supported', 'POST a mode');
  }
  const change = parseModeSwitch(await readJsonObject(request));
  context.mode.set(change);
  sendJson(response, 200, { mode: change.mode, times: change.times ?? null });
};

const route = async (
  context: StandInContext,
  request: IncomingMessage,
  response: ServerResponse,
) => {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  try {
    if (url.pathname === '/__standin/mode') {
      await handleModeSwitch(context, request, response);
    } else {
      await handleTable(context, request, response, url);
    }
  } catch (error) {
    const failure =
      error instanceof HttpFailure
        ? error
        : new HttpFailure(500, 'Internal server error', null);
    sendFailure(response, failure, { Connection: 'close' });
  }
};

/**
 * Starts the ServiceNow stand-in on 127.0.0.1 (`port: 0` picks a free one).
 *
 * @example
 * const servicenow = await startServiceNow({ port: 0, username: 'irm', password: 'pw' });
 * servicenow.setMode({ mode: '429', times: 1, retryAfter: 1 });
 */
export const startServiceNow = async (options: {
  port: number;
  username: string;
  password: string;
  /** The setting that chooses the port, named when it is in use. */
  portSetting?: string;
}): Promise<LocalServiceNow> => {
  const { username, password } = options;
  const context: StandInContext = {
    store: new RecordStore(),
    mode: new ModeState(),
    expectedAuth: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
    username,
  };
  const server = createServer((request, response) => {
    void route(context, request, response);
  });
  await listen(server, options.port, 'ServiceNow stand-in', {
    portSetting: options.portSetting,
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => closeServer(server),
    records: (table) => context.store.list(table),
    setMode: (change) => context.mode.set(parseModeSwitch({ ...change })),
  };
};
