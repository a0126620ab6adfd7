import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DeliveryResult } from '../../functions/domain/email.js';
import type { Note } from '../../functions/domain/model.js';
import {
  invoke,
  linksIn,
  type MailStack,
  openPage,
  seedFlow,
  startMailStack,
} from './email-support.js';

let stack: MailStack;
let links: string[] = [];

const CASE_ID = 'case-pages';
const HR = { email: 'HR.Lead@example.test', name: 'Zoë Ångström <HR>' };
const LEGAL = { email: 'legal@example.test' };

const run = {
  runId: 'run-pages-1',
  flowId: 'flow-request-info',
  flowVersion: 'v000001',
  caseId: CASE_ID,
  startedBy: 'analyst@example.test',
};

interface Requests {
  readonly requests: { requestId: string }[];
  readonly count: number;
}

const notesOfCase = async (caseId: string): Promise<Note[]> => {
  const { listNotes } = await import('../../functions/domain/notes.js');

  return (await listNotes(caseId, 100)).items;
};

const seedCase = async (caseId: string) => {
  const cases = await import('../../functions/domain/cases.js');
  await cases.putCaseIfAbsent({
    caseId,
    name: 'Leaks & <script>alert(1)</script>',
    status: 'Active',
    userId: 'usr001',
    openedAt: '2026-11-01T09:00:00.000Z',
    updatedAt: '2026-11-01T09:00:00.000Z',
    updatedBy: 'seed',
  });
};

const requestLinks = async (requestId: string, source = run) => {
  const sent = await invoke<DeliveryResult>('send-email', {
    ...source,
    template: 'request-info',
    messageKey: `request#${requestId}`,
    requestId,
  });
  const email = (await stack.emails()).find(
    (e) => e.messageId === sent.messageId,
  );

  return { sent, email, links: linksIn(email?.body.html ?? '') };
};

beforeAll(async () => {
  stack = await startMailStack();
  await seedCase(CASE_ID);
  await seedCase('case-expired');
  await seedFlow(run.flowId, 'request-info', {
    stakeholders: [HR, LEGAL],
    responseOptions: ['No concerns', 'Concerns — details to follow'],
    allowComment: true,
  });
  await seedFlow('flow-request-short', 'request-info', {
    stakeholders: [LEGAL],
    deadlineAfterHours: 2,
    reminderAfterHours: 1,
  });
});

afterAll(async () => {
  await stack.close();
});

describe('create-response-requests', () => {
  it('creates one request per stakeholder and nothing more on retry', async () => {
    // Act
    const first = await invoke<Requests>('create-response-requests', run);
    const retry = await invoke<Requests>('create-response-requests', run);

    // Assess
    expect(first.count).toBe(2);
    expect(retry).toEqual(first);
    expect(JSON.stringify(first)).not.toMatch(/[\w-]{43}/);
  });
});

describe('request-info email', () => {
  it('carries one link per response option, built from the base URL', async () => {
    // Prepare
    const { requests } = await invoke<Requests>(
      'create-response-requests',
      run,
    );
    const { requestIdFor } = await import(
      '../../functions/domain/responses.js'
    );
    const hrRequest = requestIdFor(run.runId, HR.email);
    expect(requests).toContainEqual({ requestId: hrRequest });

    // Act
    const sent = await requestLinks(hrRequest);
    links = sent.links;

    // Assess
    expect(links).toHaveLength(2);
    expect(new Set(links).size).toBe(2);
    expect(sent.sent.recipient).toBe('hr.lead@example.test');
    expect(JSON.stringify(sent.sent)).not.toContain('/r/');
    expect(sent.email?.body.text).toContain(`- No concerns: ${links[0]}`);
    expect(sent.email?.body.text).toContain(
      'An answer can be given once, until',
    );
    expect(sent.email?.body.html).toContain('Leaks &amp; &lt;script&gt;');
  });
});

describe('response page', () => {
  it('shows the form with the link option preselected and changes nothing', async () => {
    // Act
    const pages = [];
    for (let visit = 0; visit < 3; visit += 1) {
      pages.push(await openPage('GET', links[1] ?? ''));
      pages.push(await openPage('HEAD', links[1] ?? ''));
    }

    // Assess
    const get = pages[0];
    expect(get?.statusCode).toBe(200);
    expect(get?.body).toContain('value="1" required checked');
    expect(get?.body).toContain(
      'Leaks &amp; &lt;script&gt;alert(1)&lt;/script&gt;',
    );
    expect(get?.body).toContain('name="comment"');
    expect(pages[1]).toMatchObject({ statusCode: 200, body: '' });
    expect(get?.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    expect(await notesOfCase(CASE_ID)).toHaveLength(0);
  });

  it('answers 400 with what to fix for a bad form', async () => {
    // Act
    const page = await openPage('POST', links[0] ?? '', {
      option: '7',
      comment: 'x'.repeat(2_001),
    });

    // Assess
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('Choose one of the answers.');
    expect(page.body).toContain('Shorten the comment');
    expect(await notesOfCase(CASE_ID)).toHaveLength(0);
  });

  it('records the posted answer as one case note', async () => {
    // Act
    const page = await openPage('POST', links[0] ?? '', {
      option: '1',
      comment: 'Spoke to <them> on Friday',
    });

    // Assess
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Your answer has been recorded');
    expect(page.body).toContain('Spoke to &lt;them&gt; on Friday');
    const notes = await notesOfCase(CASE_ID);
    expect(notes).toHaveLength(1);
    expect(notes[0]?.text).toContain(
      'Zoë Ångström <HR> <hr.lead@example.test>',
    );
    expect(notes[0]?.text).toContain('Answer: Concerns — details to follow');
    expect(notes[0]?.text).toContain('Comment: Spoke to <them> on Friday');
    expect(notes[0]?.text).toMatch(/Answered: \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(notes[0]?.author).toMatchObject({
      kind: 'flow',
      userId: run.startedBy,
      flowId: run.flowId,
      runId: run.runId,
    });
  });

  it('shows "already recorded" for a second submission and adds nothing', async () => {
    // Act
    const page = await openPage('POST', links[1] ?? '', { option: '0' });

    // Assess
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Answer already recorded');
    expect(page.body).toContain('Concerns — details to follow');
    expect(await notesOfCase(CASE_ID)).toHaveLength(1);
  });

  it('answers 404 for an unknown token without revealing anything', async () => {
    // Act
    const page = await openPage(
      'GET',
      `https://irm.example.test/r/${'A'.repeat(43)}`,
    );

    // Assess
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain('Link not found');
    expect(page.body).not.toContain(CASE_ID);
  });

  it('answers 410 for a link past its deadline', async () => {
    // Prepare
    const expiredRun = {
      ...run,
      runId: 'run-pages-expired',
      flowId: 'flow-request-short',
      caseId: 'case-expired',
    };
    const { requests } = await invoke<Requests>(
      'create-response-requests',
      expiredRun,
    );
    const requestId = requests[0]?.requestId ?? '';
    const sent = await invoke<DeliveryResult>('send-email', {
      ...expiredRun,
      template: 'request-info',
      messageKey: `request#${requestId}`,
      requestId,
    });
    const email = (await stack.emails()).find(
      (e) => e.messageId === sent.messageId,
    );
    const [link] = linksIn(email?.body.html ?? '');
    await expireRequest(requestId);

    // Act
    const shown = await openPage('GET', link ?? '');
    const posted = await openPage('POST', link ?? '', { option: '0' });

    // Assess
    expect(shown.statusCode).toBe(410);
    expect(posted.statusCode).toBe(410);
    expect(posted.body).toContain('expired');
    expect(await notesOfCase('case-expired')).toHaveLength(0);
  });
});

describe('a crash between the answer and its note', () => {
  it('heals on the next submission with the stored answer', async () => {
    // Prepare
    const healRun = {
      ...run,
      runId: 'run-pages-heal',
      flowId: 'flow-request-short',
      caseId: 'case-heal',
    };
    await seedCase('case-heal');
    const { requests } = await invoke<Requests>(
      'create-response-requests',
      healRun,
    );
    const requestId = requests[0]?.requestId ?? '';
    const { links: healLinks } = await requestLinks(requestId, healRun);
    await storeAnswerWithoutNote(requestId);

    // Act
    const page = await openPage('POST', healLinks[0] ?? '', { option: '0' });

    // Assess
    expect(page.body).toContain('Answer already recorded');
    const notes = await notesOfCase('case-heal');
    expect(notes).toHaveLength(1);
    expect(notes[0]?.text).toContain('Answer: Please contact me');
  });
});

describe('check-responses', () => {
  it('lists who has not answered', async () => {
    // Act
    const summary = await invoke('check-responses', { runId: run.runId });

    // Assess
    expect(summary).toMatchObject({
      pendingCount: 1,
      answeredCount: 1,
      unansweredText: 'No answer by the deadline from: legal@example.test',
    });
  });
});

const expireRequest = async (requestId: string) => {
  const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
  const { dynamo } = await import('../../functions/domain/clients.js');
  await dynamo.send(
    new UpdateCommand({
      TableName: process.env.RESPONSES_TABLE,
      Key: { linkHash: `request#${requestId}` },
      UpdateExpression: 'SET expiresAt = :past',
      ExpressionAttributeValues: { ':past': '2026-01-01T00:00:00.000Z' },
    }),
  );
};

const storeAnswerWithoutNote = async (requestId: string) => {
  const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
  const { dynamo } = await import('../../functions/domain/clients.js');
  await dynamo.send(
    new UpdateCommand({
      TableName: process.env.RESPONSES_TABLE,
      Key: { linkHash: `request#${requestId}` },
      UpdateExpression: 'SET answer = :answer',
      ExpressionAttributeValues: {
        ':answer': {
          optionIndex: 2,
          option: 'Please contact me',
          answeredAt: '2026-12-01T09:30:00.000Z',
        },
      },
    }),
  );
};
