import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalPorts, LocalStack } from '../../local/stack.js';
import { seedOrganisation } from '../support/seed.js';
import { apiCall } from '../support/stack.js';

/*
 * A run waiting for its deadline when `npm start` is stopped: the local
 * Step Functions endpoint ends its execution FAILED (States.Runtime), which
 * no Catch sees. Reading the run after the restart records that ending.
 * Both starts use the same ports and data folder, as `npm start` does.
 */

const IRM = 'InsiderRiskManagement';

let dataDir: string;
let ports: LocalPorts;

const freePort = (): Promise<number> =>
  new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });

const start = async (): Promise<LocalStack> => {
  const { startLocalStack } = await import('../../local/stack.js');

  return startLocalStack({ ports, dataDir, waitOverrideMs: 60_000 });
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'irm-restart-'));
  ports = {
    api: await freePort(),
    dynamodb: await freePort(),
    ses: await freePort(),
    stepFunctions: await freePort(),
    serviceNow: await freePort(),
  };
});

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts a request-info run and waits until it waits for its reminder. */
const startWaitingRun = async (stack: LocalStack): Promise<string> => {
  await apiCall(stack, 'PUT', '/settings/privacy', {
    group: IRM,
    body: { pseudonymise: false },
  });
  const created = await apiCall(stack, 'POST', '/flows', {
    group: IRM,
    body: {
      templateId: 'request-info',
      name: 'Waits across a restart',
      settings: { stakeholders: [{ email: 'legal@example.test' }] },
    },
  });
  const flowId = (created.body.flow as { flowId: string }).flowId;
  const started = await apiCall(stack, 'POST', `/flows/${flowId}/runs`, {
    group: IRM,
    body: { caseId: 'case-test-1' },
  });
  const runId = (started.body.run as { runId: string }).runId;
  for (let tries = 0; tries < 400; tries += 1) {
    const { body } = await apiCall(stack, 'GET', `/runs/${runId}`, {
      group: IRM,
    });
    const steps = (body.run as { steps: { name: string }[] }).steps;
    if (steps.some((step) => step.name === 'WaitForReminder')) return runId;
    await new Promise((done) => setTimeout(done, 25));
  }
  throw new Error(`Run ${runId} never reached its wait`);
};

const failureNotes = async (stack: LocalStack): Promise<string[]> => {
  const answer = await apiCall(stack, 'GET', '/cases/case-test-1/notes', {
    group: IRM,
  });

  return (answer.body.notes as { text: string }[])
    .map((note) => note.text)
    .filter((text) => text.includes('failed'));
};

describe('a run in flight when the local stack stops', () => {
  it('is recorded as failed, with the reason and one case note, after the restart', async () => {
    const first = await start();
    await seedOrganisation();
    const runId = await startWaitingRun(first);
    await first.close();

    const second = await start();
    try {
      const read = await apiCall(second, 'GET', `/runs/${runId}`, {
        group: IRM,
      });
      const again = await apiCall(second, 'GET', `/runs/${runId}`, {
        group: IRM,
      });
      const notes = await failureNotes(second);

      const run = read.body.run as Record<string, unknown>;
      expect(run).toMatchObject({
        status: 'FAILED',
        error: expect.stringContaining('The local stack stopped'),
        finishedAt: expect.any(String),
      });
      expect(again.body.run).toMatchObject({ finishedAt: run.finishedAt });
      const steps = run.steps as { name: string; status: string }[];
      expect(steps.filter((step) => step.status === 'running')).toEqual([]);
      expect(notes).toHaveLength(1);
      expect(notes[0]).toContain('The local stack stopped');
    } finally {
      await second.close();
    }
  });
});
