import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Alert } from '../../functions/domain/model.js';
import type { LocalStack } from '../../local/stack.js';
import { seedOrganisation } from '../support/seed.js';
import {
  apiCall,
  mailbox,
  startTestStack,
  waitForRun,
} from '../support/stack.js';
import { seedAlerts } from './email-support.js';

const IRM = 'InsiderRiskManagement';

let stack: LocalStack;
let throttle: Server;
const refusedPerRecipient = new Map<string, number>();

const readBody = async (request: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);

  return Buffer.concat(chunks);
};

/**
 * Stands in front of the SES mailbox and answers the first four sends to
 * each address with SES's throttling error, as SES does past its rate.
 */
const startThrottlingSes = async (sesUrl: string): Promise<string> => {
  throttle = createServer(async (request, response) => {
    const body = await readBody(request);
    const to = (
      JSON.parse(body.toString() || '{}') as {
        Destination?: { ToAddresses?: string[] };
      }
    ).Destination?.ToAddresses?.[0];
    const refused = refusedPerRecipient.get(to ?? '') ?? 0;
    if (to && refused < 4) {
      refusedPerRecipient.set(to, refused + 1);
      response.writeHead(429, {
        'content-type': 'application/json',
        'x-amzn-errortype': 'TooManyRequestsException',
      });
      response.end(
        JSON.stringify({ message: 'Maximum sending rate exceeded.' }),
      );
      return;
    }
    const upstream = await fetch(`${sesUrl}${request.url}`, {
      method: request.method,
      headers: request.headers as Record<string, string>,
      body: request.method === 'GET' ? undefined : body,
    });
    response.writeHead(upstream.status, {
      'content-type':
        upstream.headers.get('content-type') ?? 'application/json',
    });
    response.end(Buffer.from(await upstream.arrayBuffer()));
  });
  await new Promise<void>((done) => throttle.listen(0, '127.0.0.1', done));

  return `http://127.0.0.1:${(throttle.address() as AddressInfo).port}`;
};

beforeAll(async () => {
  stack = await startTestStack({ pseudonymise: false });
  await seedOrganisation();
  // Handlers load on first use, so their SES client takes this endpoint.
  process.env.AWS_ENDPOINT_URL_SESV2 = await startThrottlingSes(
    stack.mailboxUrl,
  );
});

afterAll(async () => {
  await stack.close();
  await new Promise((done) => throttle.close(done));
});

const startFlow = async (templateId: string, body: Record<string, string>) => {
  const created = await apiCall(stack, 'POST', '/flows', {
    group: IRM,
    body: { templateId, name: `${templateId} under pressure` },
  });
  const flowId = (created.body.flow as { flowId: string }).flowId;
  const start = await apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
    group: IRM,
    body,
  });

  return waitForRun(stack, (start.body.run as { runId: string }).runId, 60_000);
};

describe('flows when the world misbehaves', () => {
  it('sends each recipient exactly one email while SES throttles', async () => {
    await apiCall(stack, 'POST', '/policies/pol-leaks/users', {
      group: IRM,
      body: { userId: 'usr001' },
    });

    const run = await startFlow('notify-users', { userId: 'usr001' });

    expect(run.status).toBe('SUCCEEDED');
    expect(refusedPerRecipient.get('zoe.angstrom@example.test')).toBe(4);
    const to = (await mailbox(stack)).flatMap((email) => email.destination.to);
    expect(to.sort()).toEqual([
      'maren.okafor@example.test',
      'zoe.angstrom@example.test',
    ]);
  });

  it('lists the 50 most recent of 1,000 alerts and says how many more', async () => {
    const alerts: Alert[] = Array.from({ length: 1_000 }, (_, index) => ({
      alertId: `bulk-${String(index).padStart(4, '0')}`,
      userId: 'usr001',
      policyId: 'pol-leaks',
      policyName: 'General data leaks',
      severity: (['High', 'Medium', 'Low'] as const)[index % 3] ?? 'Low',
      status: 'Confirmed',
      detectedAt: new Date(Date.UTC(2026, 9, 1) + index * 60_000).toISOString(),
      caseId: 'case-bulk',
    }));
    const cases = await import('../../functions/domain/cases.js');
    await cases.putCaseIfAbsent({
      caseId: 'case-bulk',
      name: 'A very busy case',
      status: 'Active',
      userId: 'usr001',
      openedAt: '2026-10-01T00:00:00.000Z',
      updatedAt: '2026-10-01T00:00:00.000Z',
      updatedBy: 'seed',
    });
    await seedAlerts(alerts);
    const before = (await mailbox(stack)).length;

    const run = await startFlow('notify-manager', { caseId: 'case-bulk' });

    expect(run.status).toBe('SUCCEEDED');
    const [email] = (await mailbox(stack)).slice(before);
    expect(email?.destination.to).toEqual(['maren.okafor@example.test']);
    expect(email?.body.text).toContain('950 more alerts');
    expect(email?.body.text).toContain('2026-10-01 16:39 UTC');
    expect(email?.body.text).not.toContain('2026-10-01 00:00 UTC');
  });

  it('skips a suppressed address and says so in the run and a note', async () => {
    const { suppressAddress } = await import(
      '../../functions/domain/suppression.js'
    );
    await suppressAddress(
      'maren.okafor@example.test',
      'Bounce',
      '2026-12-01T00:00:00Z',
    );
    const before = (await mailbox(stack)).length;

    const run = await startFlow('notify-manager', { caseId: 'case-test-1' });

    expect(run.status).toBe('SUCCEEDED');
    expect(run.outcome).toContain('suppression list');
    expect(await mailbox(stack)).toHaveLength(before);
    const notes = await apiCall(stack, 'GET', '/cases/case-test-1/notes', {
      group: IRM,
    });
    const texts = (notes.body.notes as { text: string }[]).map((n) => n.text);
    expect(texts.join('\n')).toContain('is on the suppression list');
  });
});
