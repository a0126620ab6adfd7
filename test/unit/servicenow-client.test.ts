import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ServiceNowAuthError,
  ServiceNowError,
  TransientError,
} from '../../functions/domain/errors.js';
import {
  findRecordByCorrelation,
  insertRecord,
  recordLink,
  retryAfterSeconds,
  type ServiceNowConnection,
  serviceNowInstanceUrl,
} from '../../functions/domain/servicenow-client.js';
import { closeServer, listen } from '../../local/net.js';
import {
  type LocalServiceNow,
  startServiceNow,
} from '../../local/servicenow.js';

const credentials = { username: 'irm-flows', password: 'stand-in-password' };

let servicenow: LocalServiceNow;
let waits: number[];

const connection = (
  overrides: Partial<ServiceNowConnection> = {},
): ServiceNowConnection => ({
  instanceUrl: servicenow.url,
  credentials,
  sleep: async (ms) => {
    waits.push(ms);
  },
  ...overrides,
});

/** A fetch that answers every request with the same response. */
const answering =
  (status: number, body: string, headers: Record<string, string> = {}) =>
  async () =>
    new Response(body, { status, headers });

beforeEach(async () => {
  waits = [];
  servicenow = await startServiceNow({ port: 0, ...credentials });
});

afterEach(() => servicenow.close());

describe('ServiceNow Table API client', () => {
  it('inserts a record and finds it by correlation id', async () => {
    // Act
    const inserted = await insertRecord(connection(), 'incident', {
      short_description: 'Case',
      correlation_id: 'case-1',
    });
    const found = await findRecordByCorrelation(
      connection(),
      'incident',
      'case-1',
    );
    const missing = await findRecordByCorrelation(
      connection(),
      'incident',
      'case-2',
    );

    // Assess
    expect(inserted.number).toBe('INC0010001');
    expect(found).toEqual(inserted);
    expect(missing).toBeUndefined();
  });

  it('waits for Retry-After on 429 and then succeeds', async () => {
    // Prepare
    servicenow.setMode({ mode: '429', times: 2, retryAfter: 2 });

    // Act
    const inserted = await insertRecord(connection(), 'incident', {});

    // Assess
    expect(inserted.sysId).toMatch(/^[0-9a-f]{32}$/);
    expect(waits).toEqual([2000, 2000]);
    expect(servicenow.records('incident')).toHaveLength(1);
  });

  it('hands back to the state machine after three 429 waits', async () => {
    // Prepare
    servicenow.setMode({ mode: '429', retryAfter: 1 });

    // Act
    const inserting = insertRecord(connection(), 'incident', {});

    // Assess
    await expect(inserting).rejects.toThrow(TransientError);
    expect(waits).toEqual([1000, 1000, 1000]);
  });

  it('waits for no Retry-After longer than 20 seconds', async () => {
    // Prepare
    servicenow.setMode({ mode: '429', times: 1, retryAfter: 60 });

    // Act
    const inserting = insertRecord(connection(), 'incident', {});

    // Assess
    await expect(inserting).rejects.toThrow(/rate limiting.*60 s/);
    expect(waits).toEqual([]);
  });

  it('waits for nothing that would outlast the deadline', async () => {
    // Prepare
    servicenow.setMode({ mode: '429', times: 1, retryAfter: 5 });
    const deadline = Date.now() + 12_000;

    // Act
    const inserting = insertRecord(connection({ deadline }), 'incident', {});

    // Assess
    await expect(inserting).rejects.toThrow(TransientError);
    expect(waits).toEqual([]);
  });

  it('explains a 401 in words a person can act on', async () => {
    // Act
    const inserting = insertRecord(
      connection({ credentials: { ...credentials, password: 'wrong' } }),
      'incident',
      {},
    );

    // Assess
    await expect(inserting).rejects.toThrow(
      new ServiceNowAuthError(
        'ServiceNow refused the credentials (401): check the username and ' +
          'password in the secret',
      ),
    );
  });

  it.each([
    ['POST', 'create'],
    ['GET', 'read'],
  ] as const)(
    'names the table and the access a 403 on %s denies',
    async (method, access) => {
      // Prepare
      servicenow.setMode({ mode: '403', times: 1, method });
      const act =
        method === 'POST'
          ? insertRecord(connection(), 'incident', {})
          : findRecordByCorrelation(connection(), 'incident', 'case-1');

      // Assess
      await expect(act).rejects.toThrow(ServiceNowAuthError);
      await expect(act).rejects.toThrow(
        `the account lacks the ACL to ${access} records in table incident`,
      );
    },
  );

  it('carries the ServiceNow error message of another 4xx', async () => {
    // Prepare
    const fetch = answering(
      400,
      JSON.stringify({
        error: { message: 'Invalid table', detail: 'u_missing' },
        status: 'failure',
      }),
    );

    // Act
    const inserting = insertRecord(connection({ fetch }), 'u_missing', {});

    // Assess
    await expect(inserting).rejects.toThrow(
      new ServiceNowError(
        'ServiceNow rejected the request to create a record in table ' +
          'u_missing (400): Invalid table: u_missing',
      ),
    );
  });

  it('treats a 5xx as transient', async () => {
    // Prepare
    servicenow.setMode({ mode: '500', times: 1 });

    // Act
    const inserting = insertRecord(connection(), 'incident', {});

    // Assess
    await expect(inserting).rejects.toThrow(TransientError);
    expect(servicenow.records('incident')).toHaveLength(0);
  });

  it('treats an unreachable instance as transient', async () => {
    // Prepare
    await servicenow.close();
    const closed = connection();
    servicenow = await startServiceNow({ port: 0, ...credentials });

    // Act
    const inserting = insertRecord(closed, 'incident', {});

    // Assess
    await expect(inserting).rejects.toMatchObject({
      name: 'TransientError',
      message: 'ServiceNow could not be reached; the step will try again',
    });
  });

  it('treats an answer that does not come in time as transient', async () => {
    // Prepare
    const silent = createServer(() => undefined);
    await listen(silent, 0, 'silent server');
    const { port } = silent.address() as AddressInfo;
    const deadline = Date.now() + 200;
    const slow = connection({
      instanceUrl: `http://127.0.0.1:${port}`,
      deadline,
    });

    // Act
    const inserting = insertRecord(slow, 'incident', {});

    // Assess
    await expect(inserting).rejects.toThrow(/did not answer in time/);
    await closeServer(silent);
  });

  it('refuses a success answer that is not JSON, like a sleeping instance', async () => {
    // Prepare
    const fetch = answering(200, '<html>Your instance is hibernating</html>', {
      'Content-Type': 'text/html',
    });

    // Act
    const finding = findRecordByCorrelation(
      connection({ fetch }),
      'incident',
      'case-1',
    );

    // Assess
    await expect(finding).rejects.toThrow(ServiceNowError);
  });
});

describe('ServiceNow helpers', () => {
  it.each([
    ['7', 7],
    ['', 1],
    [null, 1],
    ['soon', 1],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30],
  ])('reads Retry-After %p as %i seconds', (header, seconds) => {
    const now = Date.parse('2026-01-01T00:00:00Z');

    expect(retryAfterSeconds(header, now)).toBe(seconds);
  });

  it('links to the record with the target URL-encoded', () => {
    expect(
      recordLink('https://acme.service-now.com', 'incident', 'abc123'),
    ).toBe(
      'https://acme.service-now.com/nav_to.do?uri=incident.do%3Fsys_id%3Dabc123',
    );
  });

  it.each([
    ['https://acme.service-now.com/', 'https://acme.service-now.com'],
    ['http://127.0.0.1:8091', 'http://127.0.0.1:8091'],
  ])('accepts the instance URL %s', (value, origin) => {
    expect(serviceNowInstanceUrl(value)).toBe(origin);
  });

  it.each(['http://acme.service-now.com', 'acme', 'ftp://127.0.0.1'])(
    'refuses the instance URL %s',
    (value) => {
      expect(() => serviceNowInstanceUrl(value)).toThrow(
        /SERVICENOW_INSTANCE_URL/,
      );
    },
  );
});
