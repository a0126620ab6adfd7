import type { LocalStack } from '../../local/stack.js';
import { seedOrganisation } from '../support/seed.js';
import { apiCall, startTestStack } from '../support/stack.js';

const IRM = 'InsiderRiskManagement';
const ANALYST = 'InsiderRiskManagementAnalysts';
const INVESTIGATOR = 'InsiderRiskManagementInvestigators';
const AUDITOR = 'InsiderRiskManagementAuditors';
const ADMIN = 'InsiderRiskManagementAdmins';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({ pseudonymise: false });
  await seedOrganisation();
});

afterAll(async () => {
  await stack.close();
});

describe('the HTTP API on the local stack', () => {
  it('answers health without a token', async () => {
    const answer = await apiCall(stack, 'GET', '/health');

    expect(answer).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('refuses a request without a token with 401', async () => {
    const answer = await apiCall(stack, 'GET', '/cases');

    expect(answer.status).toBe(401);
  });

  it('refuses a forged token with 401', async () => {
    const answer = await apiCall(stack, 'GET', '/cases', {
      headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.e30.' },
    });

    expect(answer.status).toBe(401);
  });

  it('lists active cases for an analyst', async () => {
    const answer = await apiCall(stack, 'GET', '/cases', { group: ANALYST });

    expect(answer.status).toBe(200);
    const cases = answer.body.cases as { caseId: string }[];
    expect(cases.map((c) => c.caseId)).toContain('case-test-1');
  });

  it('refuses cases to an auditor with 403 naming the groups allowed', async () => {
    const answer = await apiCall(stack, 'GET', '/cases', { group: AUDITOR });

    expect(answer.status).toBe(403);
    expect(answer.body.message).toContain('InsiderRiskManagementAnalysts');
  });

  it('reads a case with its alert count', async () => {
    const answer = await apiCall(stack, 'GET', '/cases/case-test-1', {
      group: INVESTIGATOR,
    });

    expect(answer.status).toBe(200);
    expect(answer.body.case).toMatchObject({
      caseId: 'case-test-1',
      alertCount: 3,
    });
  });

  it('answers 404 for a case that does not exist', async () => {
    const answer = await apiCall(stack, 'GET', '/cases/case-missing', {
      group: ANALYST,
    });

    expect(answer.status).toBe(404);
    expect(answer.body.message).toBe('No case case-missing');
  });

  it('rejects an unknown query key on the case list', async () => {
    const answer = await apiCall(stack, 'GET', '/cases?bogus=1', {
      group: ANALYST,
    });

    expect(answer.status).toBe(400);
    expect(answer.body.message).toContain('bogus');
  });

  it('takes status and limit on the case list', async () => {
    const answer = await apiCall(stack, 'GET', '/cases?status=Active&limit=5', {
      group: ANALYST,
    });

    expect(answer.status).toBe(200);
  });

  it('rejects a bad limit with 400 naming the field', async () => {
    const answer = await apiCall(stack, 'GET', '/cases?limit=5000', {
      group: ANALYST,
    });

    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual([
      { field: 'limit', problem: 'must be an integer between 1 and 100' },
    ]);
  });

  it('adds one note for two requests with the same Idempotency-Key', async () => {
    const request = {
      group: INVESTIGATOR,
      body: { text: 'Spoke to the user.' },
      headers: { 'idempotency-key': 'note-key-0001' },
    };

    const first = await apiCall(
      stack,
      'POST',
      '/cases/case-test-1/notes',
      request,
    );
    const second = await apiCall(
      stack,
      'POST',
      '/cases/case-test-1/notes',
      request,
    );

    expect([first.status, second.status]).toEqual([201, 200]);
    const notes = await apiCall(stack, 'GET', '/cases/case-test-1/notes', {
      group: INVESTIGATOR,
    });
    const texts = (notes.body.notes as { text: string }[]).map((n) => n.text);
    expect(texts.filter((t) => t === 'Spoke to the user.')).toHaveLength(1);
  });

  it('refuses the same Idempotency-Key with another note text with 409', async () => {
    const headers = { 'idempotency-key': 'note-key-0002' };
    const first = await apiCall(stack, 'POST', '/cases/case-test-1/notes', {
      group: INVESTIGATOR,
      body: { text: 'First text.' },
      headers,
    });

    const other = await apiCall(stack, 'POST', '/cases/case-test-1/notes', {
      group: INVESTIGATOR,
      body: { text: 'Another text.' },
      headers,
    });

    expect(first.status).toBe(201);
    expect(other.status).toBe(409);
    expect(other.body.message).toContain('used for another note');
    const notes = await apiCall(stack, 'GET', '/cases/case-test-1/notes', {
      group: INVESTIGATOR,
    });
    const texts = (notes.body.notes as { text: string }[]).map((n) => n.text);
    expect(texts).not.toContain('Another text.');
  });

  it.each([
    ['an ESC', 'Colour \u001b[31mred'],
    ['a NUL', 'Null \u0000 here'],
    ['a carriage return', 'Line one\r\nline two'],
    ['a lone surrogate', 'Broken \ud800 text'],
  ])('rejects a note with %s and adds nothing', async (_case, text) => {
    const before = await apiCall(stack, 'GET', '/cases/case-test-1/notes', {
      group: IRM,
    });

    // JSON.stringify escapes each of these, so the server parses them back.
    const answer = await apiCall(stack, 'POST', '/cases/case-test-1/notes', {
      group: IRM,
      body: { text },
    });

    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual([
      { field: 'text', problem: expect.any(String) },
    ]);
    const after = await apiCall(stack, 'GET', '/cases/case-test-1/notes', {
      group: IRM,
    });
    expect(after.body.notes).toEqual(before.body.notes);
  });

  it('keeps line feeds and tabs in a note', async () => {
    const answer = await apiCall(stack, 'POST', '/cases/case-test-1/notes', {
      group: IRM,
      body: { text: 'Line one\n\tline two' },
    });

    expect(answer.status).toBe(201);
    expect((answer.body.note as { text: string }).text).toBe(
      'Line one\n\tline two',
    );
  });

  it('refuses a note from an analyst, who has no case-note rights', async () => {
    const answer = await apiCall(stack, 'POST', '/cases/case-test-1/notes', {
      group: ANALYST,
      body: { text: 'Not allowed' },
    });

    expect(answer.status).toBe(403);
  });

  it('rejects an empty note with 400 naming the field and adds nothing', async () => {
    const before = await apiCall(stack, 'GET', '/cases/case-test-1/notes', {
      group: IRM,
    });

    const answer = await apiCall(stack, 'POST', '/cases/case-test-1/notes', {
      group: IRM,
      body: { text: '   ', extra: 1 },
    });

    expect(answer.status).toBe(400);
    const fields = (answer.body.fields as { field: string }[]).map(
      (f) => f.field,
    );
    expect(fields).toEqual(expect.arrayContaining(['text']));
    const after = await apiCall(stack, 'GET', '/cases/case-test-1/notes', {
      group: IRM,
    });
    expect(after.body.notes).toEqual(before.body.notes);
  });

  it('rejects malformed JSON with 400', async () => {
    const answer = await apiCall(stack, 'POST', '/cases/case-test-1/notes', {
      group: IRM,
      rawBody: '{"text": ',
      headers: { 'content-type': 'application/json' },
    });

    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe('The body is not valid JSON');
  });

  it('rejects a body over 64 KB with 413', async () => {
    const answer = await apiCall(stack, 'POST', '/cases/case-test-1/notes', {
      group: IRM,
      body: { text: 'x'.repeat(70 * 1024) },
    });

    expect(answer.status).toBe(413);
  });

  it('rejects a body that is not JSON with 415', async () => {
    const answer = await apiCall(stack, 'POST', '/cases/case-test-1/notes', {
      group: IRM,
      rawBody: 'text=hello',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

    expect(answer.status).toBe(415);
  });

  it('refuses a confirmation with a body other than {} and changes nothing', async () => {
    const answer = await apiCall(
      stack,
      'POST',
      '/alerts/alert-test-new/confirm',
      { group: ANALYST, body: { x: 1 } },
    );

    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/\bx\b/);
    const alert = await apiCall(stack, 'GET', '/alerts/alert-test-new', {
      group: ANALYST,
    });
    expect(alert.body.alert).toMatchObject({ status: 'NeedsReview' });
  });

  it('opens a case when an alert of a user without one is confirmed', async () => {
    const answer = await apiCall(
      stack,
      'POST',
      '/alerts/alert-test-new/confirm',
      {
        group: ANALYST,
      },
    );
    const again = await apiCall(
      stack,
      'POST',
      '/alerts/alert-test-new/confirm',
      {
        group: ANALYST,
      },
    );

    expect(answer.status).toBe(201);
    expect(again.status).toBe(200);
    const opened = answer.body.case as { caseId: string; userId: string };
    expect(opened.userId).toBe('usr002');
    expect((again.body.case as { caseId: string }).caseId).toBe(opened.caseId);
    const alert = await apiCall(stack, 'GET', '/alerts/alert-test-new', {
      group: ANALYST,
    });
    expect(alert.body.alert).toMatchObject({
      status: 'Confirmed',
      caseId: opened.caseId,
    });
  });

  it('reads a user with the manager resolved', async () => {
    const answer = await apiCall(stack, 'GET', '/users/usr001', {
      group: ANALYST,
    });

    expect(answer.status).toBe(200);
    expect(answer.body.manager).toMatchObject({ userId: 'mgr001' });
  });

  it('adds a user to a policy once and keeps the first time', async () => {
    const body = { userId: 'usr002' };

    const first = await apiCall(stack, 'POST', '/policies/pol-leaks/users', {
      group: ADMIN,
      body,
    });
    const second = await apiCall(stack, 'POST', '/policies/pol-leaks/users', {
      group: ADMIN,
      body,
    });

    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.body.member).toEqual(first.body.member);
  });

  it('confirms an alert with an empty JSON object as its body', async () => {
    const cases = await import('../../functions/domain/cases.js');
    await cases.putAlert({
      alertId: 'alert-test-empty-body',
      userId: 'usr001',
      policyId: 'pol-leaks',
      policyName: 'General data leaks',
      severity: 'Low',
      status: 'NeedsReview',
      detectedAt: '2026-11-22T10:00:00.000Z',
    });

    const answer = await apiCall(
      stack,
      'POST',
      '/alerts/alert-test-empty-body/confirm',
      { group: ANALYST, body: {} },
    );

    expect([200, 201]).toContain(answer.status);
    expect(answer.body.alert).toMatchObject({ status: 'Confirmed' });
  });

  it('answers 404 for a user who is not in the directory', async () => {
    const answer = await apiCall(stack, 'POST', '/policies/pol-leaks/users', {
      group: ADMIN,
      body: { userId: 'nobody' },
    });

    expect(answer.status).toBe(404);
  });
});
