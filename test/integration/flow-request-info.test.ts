import type { LocalStack } from '../../local/stack.js';
import { seedOrganisation } from '../support/seed.js';
import {
  apiCall,
  mailbox,
  type StoredEmail,
  startTestStack,
  waitForRun,
} from '../support/stack.js';

const IRM = 'InsiderRiskManagement';
const HR = 'hr.partner@example.test';
const BUSINESS = 'unit.lead@example.test';

let stack: LocalStack;

beforeAll(async () => {
  // Each wait of days lasts 2.5 s here: time to answer before the reminder.
  stack = await startTestStack({ waitOverrideMs: 2_500, pseudonymise: false });
  await seedOrganisation();
});

afterAll(async () => {
  await stack.close();
});

const notesOf = async (caseId: string): Promise<string[]> => {
  const answer = await apiCall(
    stack,
    'GET',
    `/cases/${caseId}/notes?limit=100`,
    {
      group: IRM,
    },
  );

  return (answer.body.notes as { text: string }[]).map((note) => note.text);
};

const emailsTo = async (address: string): Promise<StoredEmail[]> =>
  (await mailbox(stack)).filter((email) =>
    email.destination.to.includes(address),
  );

const waitForEmail = async (address: string): Promise<StoredEmail> => {
  for (let tries = 0; tries < 200; tries += 1) {
    const [email] = await emailsTo(address);
    if (email) return email;
    await new Promise((done) => setTimeout(done, 25));
  }
  throw new Error(`No email to ${address}`);
};

const linksIn = (email: StoredEmail): string[] =>
  [...(email.body.html ?? '').matchAll(/href="([^"]+\/r\/[^"]+)"/g)].map(
    (match) => match[1] ?? '',
  );

const post = (link: string, form: Record<string, string>) =>
  fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });

describe('the request-info template, end to end', () => {
  it('records one answer each, reminds the silent one, notes who never answered', async () => {
    const created = await apiCall(stack, 'POST', '/flows', {
      group: IRM,
      body: {
        templateId: 'request-info',
        name: 'Ask HR',
        settings: {
          stakeholders: [
            { email: HR, name: 'HR partner' },
            { email: BUSINESS, name: 'Unit lead' },
          ],
        },
      },
    });
    const flowId = (created.body.flow as { flowId: string }).flowId;
    const start = await apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
      group: IRM,
      body: { caseId: 'case-test-1' },
    });
    const runId = (start.body.run as { runId: string }).runId;
    const links = linksIn(await waitForEmail(HR));
    expect(links).toHaveLength(3);
    const notesBefore = (await notesOf('case-test-1')).length;

    for (const link of links) {
      const opened = await fetch(link);
      expect(opened.status).toBe(200);
      expect(opened.headers.get('referrer-policy')).toBe('no-referrer');
      expect((await fetch(link, { method: 'HEAD' })).status).toBe(200);
    }
    const afterScanner = await notesOf('case-test-1');
    const answered = await post(links[1] ?? '', {
      option: '1',
      comment: 'Details by Friday <b>',
    });
    const again = await post(links[0] ?? '', { option: '0' });

    expect(afterScanner).toHaveLength(notesBefore);
    expect(answered.status).toBe(200);
    expect(await again.text()).toContain('already recorded');
    const run = await waitForRun(stack, runId, 30_000);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.outcome).toContain('Stakeholders who never answered: 1;');
    expect(await emailsTo(HR)).toHaveLength(1);
    expect((await emailsTo(BUSINESS)).map((e) => e.subject)).toHaveLength(2);
    const notes = await notesOf('case-test-1');
    expect(notes).toContainEqual(
      expect.stringContaining('Stakeholders asked about this case: 2.'),
    );
    const answers = notes.filter((text) => text.includes(HR));
    expect(answers).toHaveLength(1);
    expect(answers[0]).toContain('Concerns — details to follow');
    expect(answers[0]).toContain('Details by Friday <b>');
    expect(answers[0]).toContain('UTC');
    const unanswered = notes.filter((text) =>
      text.includes('No answer by the deadline'),
    );
    expect(unanswered).toHaveLength(1);
    expect(unanswered[0]).toContain(BUSINESS);
    expect(unanswered[0]).not.toContain(HR);
  });

  it('refuses an answer that comes after the deadline note', async () => {
    const legal = 'legal.counsel@example.test';
    const created = await apiCall(stack, 'POST', '/flows', {
      group: IRM,
      body: {
        templateId: 'request-info',
        name: 'Ask legal',
        settings: { stakeholders: [{ email: legal, name: 'Legal counsel' }] },
      },
    });
    const flowId = (created.body.flow as { flowId: string }).flowId;
    const start = await apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
      group: IRM,
      body: { caseId: 'case-test-1' },
    });
    const [link] = linksIn(await waitForEmail(legal));
    const run = await waitForRun(
      stack,
      (start.body.run as { runId: string }).runId,
      30_000,
    );

    const opened = await fetch(link ?? '');
    const answered = await post(link ?? '', { option: '0' });

    expect(run.status).toBe('SUCCEEDED');
    expect(await opened.text()).toContain('This link has expired');
    expect(await answered.text()).toContain('This link has expired');
    const notes = await notesOf('case-test-1');
    const late = notes.filter((text) => text.includes(`from: Legal counsel`));
    expect(late).toHaveLength(1);
    expect(late[0]).toContain('No answer by the deadline');
    expect(notes.filter((text) => text.startsWith('Response to'))).toEqual(
      expect.not.arrayContaining([expect.stringContaining(legal)]),
    );
  });

  it('answers an unknown link with a 404 page that reveals nothing', async () => {
    const response = await fetch(`${stack.apiUrl}/r/not-a-real-token-at-all`);

    expect(response.status).toBe(404);
    const shown = /<main>([\s\S]*)<\/main>/.exec(await response.text())?.[1];
    expect(shown).toContain('Link not found');
    expect(shown).not.toMatch(/case|stakeholder|expired/i);
  });
});
