import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon, { type AutocannonResult } from 'autocannon';
import { IRM, startBenchStack } from './harness.js';
import type { BenchSettings } from './options.js';
import { seedSubjects } from './seed.js';
import { round } from './stats.js';

/** One autocannon load: requests per second and latency in ms. */
export interface LoadFigures {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  readonly errors: number;
  readonly non2xx: number;
}

export interface ApiReadResult {
  readonly connections: number;
  readonly seconds: number;
  readonly api: LoadFigures;
  readonly bareGetItem: LoadFigures;
  /** API p99 ÷ bare p99. */
  readonly latencyRatio: number;
  /** Bare requests/s ÷ API requests/s. */
  readonly throughputRatio: number;
}

const CONNECTIONS = 50;

const figuresOf = (result: AutocannonResult): LoadFigures => ({
  requestsPerSecond: round(result.requests.average),
  p50: result.latency.p50,
  p99: result.latency.p99,
  requests: result.requests.total,
  errors: result.errors + result.timeouts,
  non2xx: result.non2xx,
});

/**
 * The baseline: an HTTP server in the same process that does only the
 * GetItem of the same case through the product's own document client (the
 * same endpoint, agent and signing) and returns the item as JSON. Loaded by
 * the same autocannon over HTTP, it pays the same client, socket and JSON
 * costs, so the ratio isolates what the API adds (JWT check, routing,
 * validation, the alert count query, the presentation layer).
 */
const startBareServer = async (caseId: string): Promise<Server> => {
  const { dynamo } = await import('../functions/domain/clients.js');
  const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
  const server = createServer((_request, response) => {
    dynamo
      .send(
        new GetCommand({
          TableName: process.env.CASES_TABLE,
          Key: { caseId },
        }),
      )
      .then(
        (answer) => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ case: answer.Item }));
        },
        () => {
          response.writeHead(500);
          response.end();
        },
      );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));

  return server;
};

const load = async (
  url: string,
  seconds: number,
  headers: Record<string, string> = {},
): Promise<AutocannonResult> => {
  // A short run first: sockets open and code warms before measuring.
  await autocannon({ url, connections: CONNECTIONS, duration: 1, headers });

  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    headers,
  });
};

/** GET /cases/{caseId} against a bare GetItem, 50 connections each. */
export const runApiRead = async (
  settings: BenchSettings,
): Promise<ApiReadResult> => {
  const bench = await startBenchStack(0);
  const [subject] = await seedSubjects({
    prefix: 'api',
    count: 1,
    perManager: 1,
    alertsPerCase: 5,
  });
  const caseId = subject?.caseId ?? '';
  const bare = await startBareServer(caseId);
  try {
    const check = await bench.api.call('GET', `/cases/${caseId}`, IRM);
    if (check.status !== 200) throw new Error(`GET case: ${check.status}`);
    const port = (bare.address() as AddressInfo).port;
    const bareResult = await load(
      `http://127.0.0.1:${port}/`,
      settings.apiSeconds,
    );
    const apiResult = await load(
      `${bench.stack.apiUrl}/cases/${caseId}`,
      settings.apiSeconds,
      { authorization: `Bearer ${bench.stack.tokens[IRM] ?? ''}` },
    );
    const api = figuresOf(apiResult);
    const bareGetItem = figuresOf(bareResult);
    process.stderr.write('  api done\n');

    return {
      connections: CONNECTIONS,
      seconds: settings.apiSeconds,
      api,
      bareGetItem,
      latencyRatio: round(api.p99 / bareGetItem.p99),
      throughputRatio: round(
        bareGetItem.requestsPerSecond / api.requestsPerSecond,
      ),
    };
  } finally {
    bare.close();
    await bench.close();
  }
};
