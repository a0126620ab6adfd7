import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DeliveryResult } from '../../functions/domain/email.js';
import type { LocalStack } from '../../local/stack.js';
import { startTestStack } from '../support/stack.js';
import type { StoredEmail } from './email-support.js';

/*
 * The response links followed over HTTP through the local API server, as a
 * browser follows them: the links in the email point at the API's own
 * address, which is the local stack's PUBLIC_BASE_URL.
 */

let stack: LocalStack;
let links: string[] = [];

const CASE_ID = 'case-http-1';
const run = {
  runId: 'run-http-1',
  flowId: 'flow-http-request',
  flowVersion: 'v000001',
  caseId: CASE_ID,
  startedBy: 'analyst@example.test',
};

const seed = async () => {
  const { putCaseIfAbsent } = await import('../../functions/domain/cases.js');
  const { createFlow } = await import('../../functions/domain/flows.js');
  await putCaseIfAbsent({
    caseId: CASE_ID,
    name: 'Zoë Ångström & <i>friends</i>',
    status: 'Active',
    userId: 'usr001',
    openedAt: '2026-11-01T09:00:00.000Z',
    updatedAt: '2026-11-01T09:00:00.000Z',
    updatedBy: 'seed',
  });
  await createFlow({
    flowId: run.flowId,
    templateId: 'request-info',
    name: 'HTTP test',
    settings: { stakeholders: [{ email: 'hr@example.test', name: 'HR' }] },
    createdBy: run.startedBy,
    createdAt: '2026-11-30T14:00:00.000Z',
    updatedAt: '2026-11-30T14:00:00.000Z',
    updatedBy: 'seed',
    door: 'dashboard',
    owners: [],
    ownerGroups: [],
  });
};

const noteCount = async (): Promise<number> => {
  const { listNotes } = await import('../../functions/domain/notes.js');

  return (await listNotes(CASE_ID, 100)).items.length;
};

const sendRequestEmail = async (): Promise<string[]> => {
  const created = (await stack.lambdas.invoke(
    'create-response-requests',
    run,
  )) as { requests: { requestId: string }[] };
  const requestId = created.requests[0]?.requestId ?? '';
  const sent = (await stack.lambdas.invoke('send-email', {
    ...run,
    template: 'request-info',
    messageKey: `request#${requestId}`,
    requestId,
  })) as DeliveryResult;
  const store = (await (await fetch(`${stack.mailboxUrl}/store`)).json()) as {
    emails: StoredEmail[];
  };
  const email = store.emails.find((e) => e.messageId === sent.messageId);
  const pattern = new RegExp(`href="(${stack.apiUrl}/r/[\\w-]+)"`, 'g');

  return [...(email?.body.html ?? '').matchAll(pattern)].map((m) => m[1] ?? '');
};

const post = (url: string, form: Record<string, string>) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });

beforeAll(async () => {
  stack = await startTestStack({ pseudonymise: false });
  await seed();
  links = await sendRequestEmail();
});

afterAll(async () => {
  await stack.close();
});

describe('response links over HTTP', () => {
  it('serves the form as HTML with the security headers', async () => {
    // Act
    const answer = await fetch(links[2] ?? '');

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.get('content-security-policy')).toContain(
      "default-src 'none'",
    );
    const html = await answer.text();
    expect(html).toContain('value="2" required checked');
    expect(html).toContain('Zoë Ångström &amp; &lt;i&gt;friends&lt;/i&gt;');
  });

  it('changes nothing when scanners open the links', async () => {
    // Act
    for (const link of links) {
      await fetch(link);
      await fetch(link, { method: 'HEAD' });
    }

    // Assess
    expect(await noteCount()).toBe(0);
  });

  it('records the first posted answer once', async () => {
    // Act
    const first = await post(links[0] ?? '', { option: '0', comment: 'Fine' });
    const second = await post(links[1] ?? '', { option: '1' });

    // Assess
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('Your answer has been recorded');
    expect(await second.text()).toContain('Answer already recorded');
    expect(await noteCount()).toBe(1);
  });
});
