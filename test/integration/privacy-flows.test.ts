import type { LocalStack } from '../../local/stack.js';
import { seedOrganisation } from '../support/seed.js';
import {
  apiCall,
  mailbox,
  startTestStack,
  waitForRun,
} from '../support/stack.js';

/*
 * Every template with pseudonymisation on (the default) and then off. With
 * it on, no name, address or user id of a seeded person may appear in any
 * email, case note, API answer or log line of the handlers.
 */

// Handlers log at INFO here so that their log lines can be searched.
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';

const IRM = 'InsiderRiskManagement';
const ADMIN = 'InsiderRiskManagementAdmins';
const HR = 'hr.partner@example.test';
const CASE_ID = 'case-test-1';
const OLD_CASE_ID = 'case-named-before';

let stack: LocalStack;
let identities: string[];
let aliasOf: (userId: string) => Promise<string>;
const flowIds: Record<string, string> = {};
const runIds: string[] = [];
const logged: string[] = [];
const restorers: (() => void)[] = [];

/** Keeps what the process writes to stdout and stderr, and console calls. */
const captureOutput = () => {
  for (const stream of [process.stdout, process.stderr]) {
    const spy = jest
      .spyOn(stream, 'write')
      .mockImplementation((chunk: string | Uint8Array) => {
        logged.push(String(chunk));

        return true;
      });
    restorers.push(() => spy.mockRestore());
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const spy = jest
      .spyOn(console, method)
      .mockImplementation((...parts: unknown[]) => {
        logged.push(parts.map(String).join(' '));
      });
    restorers.push(() => spy.mockRestore());
  }
};

const createFlow = async (
  templateId: string,
  settings: Record<string, unknown> = {},
): Promise<string> => {
  const created = await apiCall(stack, 'POST', '/flows', {
    group: IRM,
    body: { templateId, name: `Privacy ${templateId}`, settings },
  });
  expect(created.status).toBe(201);

  return (created.body.flow as { flowId: string }).flowId;
};

const run = async (templateId: string, target: Record<string, string>) => {
  const start = await apiCall(
    stack,
    'POST',
    `/flows/${flowIds[templateId]}/runs`,
    { group: IRM, body: target },
  );
  expect(start.status).toBe(202);
  const runId = (start.body.run as { runId: string }).runId;
  runIds.push(runId);

  return waitForRun(stack, runId);
};

const notesOf = async (caseId: string): Promise<string[]> => {
  const answer = await apiCall(stack, 'GET', `/cases/${caseId}/notes`, {
    group: IRM,
    headers: {},
  });

  return (answer.body.notes as { text: string }[]).map((note) => note.text);
};

/**
 * An answer as the API sends it, with any paging cursor decoded, so that
 * what a cursor carries is searched too.
 */
const getText = async (path: string) => {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    headers: { authorization: `Bearer ${stack.tokens[IRM]}` },
  });
  const text = await response.text();
  const cursor = /"nextCursor":"([^"]+)"/.exec(text)?.[1] ?? '';
  const decoded = Buffer.from(cursor.replace(/^p\./, ''), 'base64url');

  return { status: response.status, text: `${text}\n${decoded}` };
};

/** The identities found in a text, whatever their letter case. */
const identitiesIn = (text: string): string[] => {
  const lower = text.toLowerCase();

  return identities.filter((identity) =>
    lower.includes(identity.toLowerCase()),
  );
};

beforeAll(async () => {
  stack = await startTestStack();
  const seeded = await seedOrganisation();
  identities = [seeded.user, seeded.manager, seeded.loner].flatMap((user) => [
    user.userId,
    user.displayName,
    user.email,
  ]);
  const privacy = await import('../../functions/domain/privacy.js');
  aliasOf = privacy.aliasOf;
  // A case opened before case names left the user out.
  const cases = await import('../../functions/domain/cases.js');
  await cases.putCaseIfAbsent({
    caseId: OLD_CASE_ID,
    name: `General data leaks: ${seeded.loner.displayName}`,
    status: 'Active',
    userId: seeded.loner.userId,
    openedAt: '2026-10-01T09:00:00.000Z',
    updatedAt: '2026-10-01T09:00:00.000Z',
    updatedBy: 'seed',
  });
  flowIds['notify-users'] = await createFlow('notify-users');
  flowIds['request-info'] = await createFlow('request-info', {
    stakeholders: [{ email: HR, name: 'HR partner' }],
  });
  flowIds['notify-manager'] = await createFlow('notify-manager');
  flowIds['servicenow-record'] = await createFlow('servicenow-record', {
    fields: {
      short_description: 'Case {{case.name}} for {{user.displayName}}',
      description: 'User {{user.userId}}, address "{{user.email}}"',
      correlation_id: 'irm-{{case.caseId}}',
    },
  });
  captureOutput();
});

afterAll(async () => {
  for (const restore of restorers) restore();
  await stack.close();
});

describe('templates while users are pseudonymised', () => {
  it('accepts an alias where a user id is expected', async () => {
    const alias = await aliasOf('usr001');

    const added = await apiCall(stack, 'POST', '/policies/pol-leaks/users', {
      group: ADMIN,
      body: { userId: alias },
    });
    const user = await apiCall(stack, 'GET', `/users/${alias}`, {
      group: IRM,
    });

    expect(added.status).toBe(201);
    expect(added.body.member).toMatchObject({ userId: alias });
    expect(user.status).toBe(200);
    expect(user.body.user).toMatchObject({
      userId: alias,
      displayName: alias,
      email: '',
    });
    expect(user.body.manager).toMatchObject({
      userId: await aliasOf('mgr001'),
    });
  });

  it('answers a real user id as an unknown user, never with its alias', async () => {
    const alias = await aliasOf('usr001');
    const asUnknown = { status: 404, body: { message: 'No user usr001' } };
    const calls: [string, string, Record<string, unknown>?][] = [
      ['GET', '/users/usr001'],
      ['GET', '/users/usr001/notifications'],
      ['GET', '/audit?target=usr001'],
      ['POST', '/policies/pol-leaks/users', { userId: 'usr001' }],
      ['POST', `/flows/${flowIds['notify-users']}/runs`, { userId: 'usr001' }],
    ];

    for (const [method, path, body] of calls) {
      const answer = await apiCall(stack, method, path, { group: IRM, body });

      expect([path, answer]).toEqual([path, asUnknown]);
      expect(JSON.stringify(answer.body)).not.toContain(alias);
    }
    const unknown = await apiCall(stack, 'GET', '/users/usr999', {
      group: IRM,
    });
    expect(unknown).toEqual({
      status: 404,
      body: { message: 'No user usr999' },
    });
  });

  it('stops notify-users before emailing, saying pseudonymisation is on', async () => {
    const alias = await aliasOf('usr001');

    const ended = await run('notify-users', { userId: alias });

    expect(ended.status).toBe('FAILED');
    expect(ended.error).toContain('Pseudonymisation is on');
    expect(ended.target).toMatchObject({ userId: alias });
    expect(await mailbox(stack)).toHaveLength(0);
  });

  it.each(['request-info', 'notify-manager'])(
    'stops %s before emailing and notes why on the case',
    async (templateId) => {
      const ended = await run(templateId, { caseId: CASE_ID });

      expect(ended.status).toBe('FAILED');
      expect(ended.error).toContain('Pseudonymisation is on');
      expect(await mailbox(stack)).toHaveLength(0);
      const notes = await notesOf(CASE_ID);
      expect(
        notes.filter((text) => text.includes(`Privacy ${templateId}`)),
      ).toEqual([expect.stringContaining('Pseudonymisation is on')]);
    },
  );

  it('sends ServiceNow the alias, not the name, address or user id', async () => {
    const alias = await aliasOf('usr002');

    const ended = await run('servicenow-record', { caseId: OLD_CASE_ID });

    expect(ended.status).toBe('SUCCEEDED');
    const [record] = stack.serviceNow.records('incident');
    expect(record?.short_description).toBe(
      `Case General data leaks: ${alias} for ${alias}`,
    );
    expect(record?.description).toBe(`User ${alias}, address ""`);
    expect(identitiesIn(JSON.stringify(record))).toEqual([]);
  });

  it('opens a case from an alert without naming the user', async () => {
    const confirmed = await apiCall(
      stack,
      'POST',
      '/alerts/alert-test-new/confirm',
      { group: IRM },
    );

    expect(confirmed.status).toBe(201);
    const opened = confirmed.body.case as { name: string; userId: string };
    expect(opened.name).toMatch(
      /^General data leaks \(opened \d{4}-\d\d-\d\d\)$/,
    );
    expect(opened.userId).toBe(await aliasOf('usr002'));
  });

  it('shows no name, address or user id in any answer of the main routes', async () => {
    const aliases = await Promise.all(
      ['usr001', 'mgr001', 'usr002'].map((id) => aliasOf(id)),
    );
    const cases = [CASE_ID, OLD_CASE_ID];
    const paths = [
      '/cases',
      '/users',
      '/users?limit=1',
      '/policies',
      '/templates',
      '/flows',
      '/settings/flows',
      '/settings/privacy',
      '/audit',
      '/audit/export',
      '/alerts/alert-test-0',
      '/alerts/alert-test-new',
      ...cases.flatMap((id) => [
        `/cases/${id}`,
        `/cases/${id}/alerts`,
        `/cases/${id}/notes`,
      ]),
      ...aliases.flatMap((alias) => [
        `/users/${alias}`,
        `/users/${alias}/notifications`,
      ]),
      ...Object.values(flowIds).flatMap((id) => [
        `/flows/${id}`,
        `/flows/${id}/runs`,
      ]),
      ...runIds.map((id) => `/runs/${id}`),
    ];

    for (const path of paths) {
      const answer = await getText(path);

      expect([path, answer.status]).toEqual([path, 200]);
      expect([path, identitiesIn(answer.text)]).toEqual([path, []]);
    }
  });

  it('pages through users with sealed cursors', async () => {
    const first = await apiCall(stack, 'GET', '/users?limit=1', {
      group: IRM,
    });
    const cursor = first.body.nextCursor as string;

    const second = await apiCall(
      stack,
      'GET',
      `/users?limit=1&cursor=${encodeURIComponent(cursor)}`,
      { group: IRM },
    );

    expect(cursor).toMatch(/^p\./);
    expect(second.status).toBe(200);
    expect(second.body.users).toHaveLength(1);
    expect(second.body.users).not.toEqual(first.body.users);
  });

  it('stores the notes flows wrote with aliases only', async () => {
    const { listNotes } = await import('../../functions/domain/notes.js');

    for (const caseId of [CASE_ID, OLD_CASE_ID]) {
      const stored = await listNotes(caseId, 100);
      const flowNotes = stored.items.filter((note) => note.source !== 'api');

      expect(identitiesIn(JSON.stringify(flowNotes))).toEqual([]);
    }
  });

  it('logs no name, address or user id while the flows ran', () => {
    const text = logged.join('\n');

    expect(text).toContain('Flow run failed');
    expect(identitiesIn(text)).toEqual([]);
  });
});

describe('templates once pseudonymisation is off', () => {
  beforeAll(async () => {
    const answer = await apiCall(stack, 'PUT', '/settings/privacy', {
      group: IRM,
      body: { pseudonymise: false },
    });
    expect(answer.status).toBe(200);
  });

  it('emails the user and the manager with notify-users', async () => {
    const ended = await run('notify-users', { userId: 'usr001' });

    expect(ended.status).toBe('SUCCEEDED');
    const to = (await mailbox(stack)).flatMap((e) => e.destination.to).sort();
    expect(to).toEqual([
      'maren.okafor@example.test',
      'zoe.angstrom@example.test',
    ]);
  });

  it('emails the manager with notify-manager', async () => {
    const ended = await run('notify-manager', { caseId: CASE_ID });

    expect(ended.status).toBe('SUCCEEDED');
    const to = (await mailbox(stack)).flatMap((e) => e.destination.to);
    expect(
      to.filter((address) => address === 'maren.okafor@example.test'),
    ).toHaveLength(2);
  });

  it('emails the stakeholders with request-info', async () => {
    const ended = await run('request-info', { caseId: CASE_ID });

    expect(ended.status).toBe('SUCCEEDED');
    const to = (await mailbox(stack)).flatMap((e) => e.destination.to);
    expect(to).toContain(HR);
  });

  it('sends ServiceNow the user as the directory knows them', async () => {
    const ended = await run('servicenow-record', { caseId: CASE_ID });

    expect(ended.status).toBe('SUCCEEDED');
    const record = stack.serviceNow
      .records('incident')
      .find((r) => r.correlation_id === `irm-${CASE_ID}`);
    expect(record?.description).toBe(
      'User usr001, address "zoe.angstrom@example.test"',
    );
  });

  it('shows users as they are in API answers', async () => {
    const answer = await apiCall(stack, 'GET', '/users/usr001', {
      group: IRM,
    });

    expect(answer.body.user).toMatchObject({
      userId: 'usr001',
      displayName: 'Zoë Ångström <b>',
    });
  });

  it('shows what was written while it was off by alias once it is on again', async () => {
    await apiCall(stack, 'PUT', '/settings/privacy', {
      group: IRM,
      body: { pseudonymise: true },
    });
    const alias = await aliasOf('usr001');
    const paths = [
      `/users/${alias}/notifications`,
      `/cases/${CASE_ID}/notes`,
      `/cases/${CASE_ID}`,
      '/audit',
      ...runIds.map((id) => `/runs/${id}`),
    ];

    const answers = await Promise.all(paths.map((path) => getText(path)));

    expect(answers[0]?.text).toContain(alias);
    expect(answers[1]?.text).toContain('Notify manager flow: an email');
    for (const [index, answer] of answers.entries()) {
      expect([paths[index], identitiesIn(answer.text)]).toEqual([
        paths[index],
        [],
      ]);
    }
  });
});
