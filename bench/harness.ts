import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { LocalStack } from '../local/stack.js';

/** A role group of the local demo accounts, by its token's group name. */
export const IRM = 'InsiderRiskManagement';
export const ADMIN = 'InsiderRiskManagementAdmins';

/** An API answer: the status and the parsed JSON body. */
export interface ApiAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/**
 * Calls the local API over keep-alive HTTP with a demo token. Plain
 * `node:http` keeps the client's own cost per request small, since it runs
 * in the same process as the stack it measures.
 */
export class ApiClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });

  constructor(
    private readonly baseUrl: string,
    private readonly tokens: Readonly<Record<string, string>>,
  ) {}

  /** Sends a request as a role group; `body` is sent as JSON. */
  call(
    method: string,
    path: string,
    group: string,
    body?: unknown,
  ): Promise<ApiAnswer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.tokens[group] ?? ''}`,
    };
    if (payload) headers['content-type'] = 'application/json';

    return new Promise((resolve, reject) => {
      const sent = request(
        `${this.baseUrl}${path}`,
        { method, headers, agent: this.agent },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: response.statusCode ?? 0, body: parse(text) });
          });
          response.on('error', reject);
        },
      );
      sent.on('error', reject);
      sent.end(payload);
    });
  }

  /** Closes the kept-alive sockets. */
  close(): void {
    this.agent.destroy();
  }
}

const parse = (text: string): Record<string, unknown> => {
  if (!text) return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { text };
  }
};

/** How a run ended, seen when record-run-outcome returned. */
export interface RunEnd {
  readonly runId: string;
  readonly status: string;
  /** `performance.now()` when the final status became readable. */
  readonly at: number;
}

/** One Lambda invocation, with its handler time. */
export interface Invocation {
  readonly name: string;
  readonly event: unknown;
  readonly durationMs: number;
  readonly failed: boolean;
}

type Invoke = (name: string, event: unknown) => Promise<unknown>;

/**
 * Tells when a run's final status is readable. Every template ends in
 * record-run-outcome, which writes the status that `GET /runs/{runId}`
 * returns; the watcher wraps the local stack's in-process Lambda invoker
 * and resolves a run's waiter the moment that handler returns, so no
 * polling delay is added to the measurement.
 */
export class RunWatcher {
  private readonly ended = new Map<string, RunEnd>();
  private readonly waiters = new Map<string, (end: RunEnd) => void>();
  private readonly listeners = new Set<(call: Invocation) => void>();
  /** Runs that have ended since the watcher started. */
  endedCount = 0;

  constructor(stack: LocalStack) {
    const lambdas = stack.lambdas as unknown as { invoke: Invoke };
    const original = lambdas.invoke.bind(stack.lambdas);
    lambdas.invoke = (name, event) => this.invoke(original, name, event);
  }

  /** Reports every invocation to `listener` until the returned stop. */
  listen(listener: (call: Invocation) => void): () => void {
    this.listeners.add(listener);

    return () => this.listeners.delete(listener);
  }

  /** Resolves when the run's final status is readable. */
  wait(runId: string, timeoutMs = 120_000): Promise<RunEnd> {
    const done = this.ended.get(runId);
    if (done) return Promise.resolve(done);

    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(runId);
        reject(new Error(`Run ${runId} did not end in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(runId, (end) => {
        clearTimeout(timer);
        resolve(end);
      });
    });
  }

  /** Forgets ended runs nobody waits for (keeps memory flat). */
  forget(runId: string): void {
    this.ended.delete(runId);
  }

  private async invoke(
    original: Invoke,
    name: string,
    event: unknown,
  ): Promise<unknown> {
    const started = performance.now();
    let failed = true;
    try {
      const output = await original(name, event);
      failed = false;
      if (name === 'record-run-outcome') this.runEnded(event);

      return output;
    } finally {
      const durationMs = performance.now() - started;
      for (const listener of this.listeners) {
        listener({ name, event, durationMs, failed });
      }
    }
  }

  private runEnded(event: unknown): void {
    const { runId, status } = event as { runId?: string; status?: string };
    if (!runId) return;
    const end = { runId, status: status ?? 'UNKNOWN', at: performance.now() };
    this.endedCount += 1;
    const waiter = this.waiters.get(runId);
    if (waiter) {
      this.waiters.delete(runId);
      waiter(end);
    } else {
      this.ended.set(runId, end);
    }
  }
}

/** The local stack with what every benchmark needs around it. */
export interface BenchStack {
  readonly stack: LocalStack;
  readonly api: ApiClient;
  readonly watcher: RunWatcher;
  /** What `PUT /settings/privacy` answered: 200, or 404 before it exists. */
  readonly privacyStatus: number;
  close(): Promise<void>;
}

/**
 * Starts the product in this process on free ports, in memory. Waits last
 * `waitOverrideMs` (request-info's days of waiting are configuration) and
 * retries wait 20 ms.
 */
export const startBenchStack = async (
  waitOverrideMs = 0,
): Promise<BenchStack> => {
  const { startLocalStack } = await import('../local/stack.js');
  const stack = await startLocalStack({
    ports: { api: 0, dynamodb: 0, ses: 0, stepFunctions: 0, serviceNow: 0 },
    waitOverrideMs,
    retryIntervalOverrideMs: 20,
  });
  const api = new ApiClient(stack.apiUrl, stack.tokens);
  const watcher = new RunWatcher(stack);
  const privacyStatus = await turnPseudonymisationOff(api);

  return {
    stack,
    api,
    watcher,
    privacyStatus,
    close: async () => {
      api.close();
      await stack.close();
    },
  };
};

/**
 * Pseudonymisation is on by default and stops the emailing templates before
 * they send; the benchmarks measure sending, so it is turned off the way an
 * administrator would. A 404 means the setting does not exist yet.
 */
const turnPseudonymisationOff = async (api: ApiClient): Promise<number> => {
  const answer = await api.call('PUT', '/settings/privacy', IRM, {
    pseudonymise: false,
  });
  if (answer.status !== 200 && answer.status !== 404) {
    throw new Error(`PUT /settings/privacy answered ${answer.status}`);
  }

  return answer.status;
};

/** Creates a flow from a template as InsiderRiskManagement; its id. */
export const createFlow = async (
  api: ApiClient,
  templateId: string,
  settings: Record<string, unknown> = {},
  trigger?: string,
): Promise<{ status: number; flowId: string }> => {
  const answer = await api.call('POST', '/flows', IRM, {
    templateId,
    name: `Benchmark ${templateId}`,
    settings,
    ...(trigger ? { trigger } : {}),
  });
  const flow = answer.body.flow as { flowId?: string } | undefined;

  return { status: answer.status, flowId: flow?.flowId ?? '' };
};

/** Starts a run; its id, or the status when the start was refused. */
export const startRun = async (
  api: ApiClient,
  flowId: string,
  target: Record<string, string>,
): Promise<{ status: number; runId?: string }> => {
  const answer = await api.call('POST', `/flows/${flowId}/runs`, IRM, target);
  const run = answer.body.run as { runId?: string } | undefined;

  return { status: answer.status, runId: run?.runId };
};

/** Reads a run's status through the API, as a user would see it. */
export const runStatus = async (
  api: ApiClient,
  runId: string,
): Promise<string> => {
  const answer = await api.call('GET', `/runs/${runId}`, IRM);
  const run = answer.body.run as { status?: string } | undefined;

  return run?.status ?? `HTTP ${answer.status}`;
};
