import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  type LocalServiceNow,
  startServiceNow,
} from '../../local/servicenow.js';

const USERNAME = 'irm-flows';
const PASSWORD = 'stand-in-password';
const AUTH = `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`;

let servicenow: LocalServiceNow;

beforeEach(async () => {
  servicenow = await startServiceNow({
    port: 0,
    username: USERNAME,
    password: PASSWORD,
  });
});

afterEach(() => servicenow.close());

const call = async (
  path: string,
  init: { method?: string; body?: unknown; auth?: string } = {},
) => {
  const response = await fetch(`${servicenow.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      Accept: 'application/json',
      Authorization: init.auth ?? AUTH,
      'Content-Type': 'application/json',
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });

  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
};

const create = (table: string, fields: Record<string, string>) =>
  call(`/api/now/table/${table}`, { method: 'POST', body: fields });

describe('ServiceNow stand-in', () => {
  it('creates a record with sys_id, number and creation time', async () => {
    // Act
    const answer = await create('incident', { short_description: 'Zoë "x"' });

    // Assess
    expect(answer.status).toBe(201);
    expect(answer.body.result).toEqual(
      expect.objectContaining({
        short_description: 'Zoë "x"',
        sys_id: expect.stringMatching(/^[0-9a-f]{32}$/),
        number: 'INC0010001',
        sys_created_on: expect.stringMatching(
          /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/,
        ),
      }),
    );
    expect(servicenow.records('incident')).toHaveLength(1);
  });

  it('numbers records per table with the table prefix', async () => {
    // Act
    await create('incident', {});
    const second = await create('incident', {});
    const problem = await create('problem', {});

    // Assess
    expect(second.body.result).toMatchObject({ number: 'INC0010002' });
    expect(problem.body.result).toMatchObject({ number: 'PRB0010001' });
  });

  it('refuses wrong credentials with the ServiceNow error body', async () => {
    // Act
    const answer = await call('/api/now/table/incident', {
      auth: 'Basic eDp5',
    });

    // Assess
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({
      error: {
        message: 'User Not Authenticated',
        detail: 'Required to provide Auth information',
      },
      status: 'failure',
    });
  });

  it('finds records by field=value terms joined by ^, up to the limit', async () => {
    // Prepare
    await create('incident', { correlation_id: 'a', category: 'inquiry' });
    await create('incident', { correlation_id: 'b', category: 'inquiry' });
    await create('incident', { correlation_id: 'b', category: 'network' });

    // Act
    const both = await call(
      '/api/now/table/incident?sysparm_query=correlation_id%3Db%5Ecategory%3Dinquiry',
    );
    const limited = await call(
      '/api/now/table/incident?sysparm_query=category%3Dinquiry' +
        '&sysparm_limit=1&sysparm_fields=number',
    );

    // Assess
    expect(both.body.result).toEqual([
      expect.objectContaining({ correlation_id: 'b', category: 'inquiry' }),
    ]);
    expect(limited.body.result).toEqual([{ number: 'INC0010001' }]);
  });

  it('reads one record by sys_id and answers 404 for an unknown one', async () => {
    // Prepare
    const created = await create('incident', { short_description: 'x' });
    const { sys_id: sysId } = created.body.result as { sys_id: string };

    // Act
    const found = await call(`/api/now/table/incident/${sysId}`);
    const missing = await call(`/api/now/table/incident/${'0'.repeat(32)}`);

    // Assess
    expect(found.body.result).toMatchObject({ sys_id: sysId });
    expect(missing.status).toBe(404);
  });

  it('answers 429 with Retry-After for the next requests, then recovers', async () => {
    // Prepare
    servicenow.setMode({ mode: '429', times: 2, retryAfter: 7 });

    // Act
    const first = await create('incident', {});
    const second = await call('/api/now/table/incident');
    const third = await create('incident', {});

    // Assess
    expect([first.status, second.status, third.status]).toEqual([
      429, 429, 201,
    ]);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(servicenow.records('incident')).toHaveLength(1);
  });

  it('switches modes over HTTP, for one method only', async () => {
    // Prepare
    const switched = await fetch(`${servicenow.url}/__standin/mode`, {
      method: 'POST',
      body: JSON.stringify({ mode: '403', times: 1, method: 'POST' }),
    });

    // Act
    const read = await call('/api/now/table/incident');
    const denied = await create('incident', {});
    const allowed = await create('incident', {});

    // Assess
    expect(switched.status).toBe(200);
    expect([read.status, denied.status, allowed.status]).toEqual([
      200, 403, 201,
    ]);
  });

  it('refuses an unknown mode', async () => {
    // Act
    const answer = await fetch(`${servicenow.url}/__standin/mode`, {
      method: 'POST',
      body: JSON.stringify({ mode: '418' }),
    });

    // Assess
    expect(answer.status).toBe(400);
  });

  it('refuses a body over 1 MB with 413', async () => {
    // Act
    const answer = await create('incident', {
      description: 'x'.repeat(1024 * 1024),
    });

    // Assess
    expect(answer.status).toBe(413);
    expect(servicenow.records('incident')).toHaveLength(0);
  });
});
