import type { LocalStack } from '../../local/stack.js';
import { seedOrganisation } from '../support/seed.js';
import { apiCall, startTestStack } from '../support/stack.js';

/*
 * Bad input over HTTP, through the local API server: every answer is a 4xx
 * that says what to fix, never a 5xx, and nothing changes.
 */

const IRM = 'InsiderRiskManagement';
const CASE_ID = 'case-test-1';
const LONG_ID = 'x'.repeat(2_049);
/** `{"x":1}`: valid base64url JSON, but no key this API gave out. */
const MADE_UP_CURSOR = 'eyJ4IjoxfQ';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({ pseudonymise: false });
  await seedOrganisation();
});

afterAll(async () => {
  await stack.close();
});

describe('paths that are not valid percent-encoding', () => {
  it.each([
    '/cases/%ZZ',
    '/cases/%FF',
    '/users/%FF',
    '/runs/%ZZ',
    '/flows/%FF',
  ])('answers GET %s with 400 saying so', async (path) => {
    const answer = await apiCall(stack, 'GET', path, { group: IRM });

    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe('The path is not valid percent-encoding');
  });

  it('answers a response link with the link-not-found page', async () => {
    const answer = await apiCall(stack, 'GET', '/r/%FF');

    expect(answer.status).toBe(404);
    expect(answer.body.text).toContain('Link not found');
  });
});

describe('path ids over the id rules', () => {
  it.each([
    ['/cases/<id>', 'path.caseId'],
    ['/users/<id>', 'path.userId'],
    ['/runs/<id>', 'path.runId'],
    ['/flows/<id>', 'path.flowId'],
    ['/alerts/<id>', 'path.alertId'],
    ['/cases/<id>/notes', 'path.caseId'],
    ['/users/<id>/notifications', 'path.userId'],
  ])(
    'answers GET %s with an id of 2,049 characters with 400 naming %s',
    async (route, field) => {
      const path = route.replace('<id>', LONG_ID);

      const answer = await apiCall(stack, 'GET', path, { group: IRM });

      expect(answer.status).toBe(400);
      expect(answer.body.fields).toEqual([
        { field, problem: 'must be at most 200 characters' },
      ]);
    },
  );

  it('refuses a note on an over-long case id before any lookup', async () => {
    const answer = await apiCall(stack, 'POST', `/cases/${LONG_ID}/notes`, {
      group: IRM,
      body: { text: 'Should not be kept' },
    });

    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe(
      'Invalid path.caseId: must be at most 200 characters',
    );
  });

  it('answers an over-long response link with the link-not-found page', async () => {
    const answer = await apiCall(stack, 'GET', `/r/${LONG_ID}`);

    expect(answer.status).toBe(404);
    expect(answer.body.text).toContain('Link not found');
  });
});

describe('cursors this API did not give out', () => {
  it.each([
    '/cases',
    '/users',
    `/cases/${CASE_ID}/notes`,
    `/cases/${CASE_ID}/alerts`,
    '/users/usr001/notifications',
    '/flows/flow-none/runs',
  ])('answers GET %s with a made-up cursor with 400', async (path) => {
    const answer = await apiCall(
      stack,
      'GET',
      `${path}?cursor=${MADE_UP_CURSOR}`,
      {
        group: IRM,
      },
    );

    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe('The cursor is not one this API gave out');
  });

  it.each([
    ['a number too large to send', '{"caseId":12345678901234567890}'],
    ['a nested object', '{"caseId":{"S":"x"}}'],
  ])('answers a cursor holding %s with 400', async (_how, key) => {
    const cursor = Buffer.from(key).toString('base64url');

    const answer = await apiCall(stack, 'GET', `/cases?cursor=${cursor}`, {
      group: IRM,
    });

    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe('The cursor is not one this API gave out');
  });

  it("answers one list's cursor on another list with 400", async () => {
    const first = await apiCall(stack, 'GET', '/users?limit=1', { group: IRM });
    const cursor = first.body.nextCursor as string;

    const answer = await apiCall(stack, 'GET', `/cases?cursor=${cursor}`, {
      group: IRM,
    });

    expect(answer.status).toBe(400);
  });
});

describe('a custom flow definition nested too deep', () => {
  it('answers 400 naming the state and creates no flow', async () => {
    let parameters: Record<string, unknown> = { a: 1 };
    for (let level = 0; level < 2_000; level += 1)
      parameters = { a: parameters };

    const answer = await apiCall(stack, 'POST', '/flows', {
      group: IRM,
      body: {
        templateId: 'custom',
        name: 'Deep flow',
        target: 'case',
        definition: {
          StartAt: 'X',
          States: { X: { Type: 'Pass', Parameters: parameters, End: true } },
        },
      },
    });

    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual([
      expect.objectContaining({ field: 'definition.States.X' }),
    ]);
    const flows = await apiCall(stack, 'GET', '/flows', { group: IRM });
    expect(JSON.stringify(flows.body)).not.toContain('Deep flow');
  });
});

describe('bodies that say what to fix', () => {
  it.each([
    ['no body', undefined],
    ['an array', '[]'],
  ])(
    'asks for a JSON object when a note is sent with %s',
    async (_how, rawBody) => {
      const answer = await apiCall(stack, 'POST', `/cases/${CASE_ID}/notes`, {
        group: IRM,
        rawBody,
        headers: { 'content-type': 'application/json' },
      });

      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        message: 'Send a JSON object in the body',
        fields: [{ field: 'body', problem: 'Send a JSON object in the body' }],
      });
    },
  );

  it('names an unknown field as the field to remove', async () => {
    const answer = await apiCall(stack, 'POST', `/cases/${CASE_ID}/notes`, {
      group: IRM,
      body: { text: 'Hello', colour: 'red' },
    });

    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual([
      { field: 'colour', problem: 'Remove the unknown field colour' },
    ]);
  });

  it('says a name of only spaces must not be empty', async () => {
    const answer = await apiCall(stack, 'POST', '/flows', {
      group: IRM,
      body: { templateId: 'notify-manager', name: '   ' },
    });

    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual([
      { field: 'name', problem: 'must not be empty' },
    ]);
  });

  it('answers a body over 10 MB with 413 instead of a reset connection', async () => {
    const answer = await apiCall(stack, 'POST', `/cases/${CASE_ID}/notes`, {
      group: IRM,
      rawBody: 'x'.repeat(11 * 1024 * 1024),
      headers: { 'content-type': 'application/json' },
    });

    expect(answer).toEqual({
      status: 413,
      body: { message: 'Request too large' },
    });
  });
});

describe('paths with an empty segment', () => {
  it('matches no route for GET /cases//notes', async () => {
    const answer = await apiCall(stack, 'GET', '/cases//notes', { group: IRM });

    expect(answer.status).toBe(404);
    expect(answer.body.message).not.toBe('No case notes');
  });
});
