import type { LocalStack } from '../../local/stack.js';

/**
 * Starts the whole local stack in this test process on free ports, in
 * memory, with waits and retry intervals shortened by configuration.
 * Pseudonymisation is on, as on a new deployment, unless `pseudonymise` is
 * false: then InsiderRiskManagement turns it off through the API first.
 */
export const startTestStack = async (
  options: { waitOverrideMs?: number; pseudonymise?: boolean } = {},
): Promise<LocalStack> => {
  const { startLocalStack } = await import('../../local/stack.js');
  const stack = await startLocalStack({
    ports: { api: 0, dynamodb: 0, ses: 0, stepFunctions: 0, serviceNow: 0 },
    waitOverrideMs: options.waitOverrideMs ?? 300,
    retryIntervalOverrideMs: 20,
  });
  if (options.pseudonymise === false) {
    const answer = await apiCall(stack, 'PUT', '/settings/privacy', {
      group: 'InsiderRiskManagement',
      body: { pseudonymise: false },
    });
    if (answer.status !== 200) {
      await stack.close();
      throw new Error(`Privacy could not be turned off: ${answer.status}`);
    }
  }

  return stack;
};

/** Calls the API with a role group's demo token. */
export const apiCall = async (
  stack: LocalStack,
  method: string,
  path: string,
  options: {
    group?: string;
    body?: unknown;
    rawBody?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<{ status: number; body: Record<string, unknown> }> => {
  const headers: Record<string, string> = { ...options.headers };
  if (options.group) {
    headers.authorization = `Bearer ${stack.tokens[options.group]}`;
  }
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers,
    body,
  });
  const text = await response.text();

  const isJson = (response.headers.get('content-type') ?? '').includes('json');

  return {
    status: response.status,
    body:
      isJson && text ? (JSON.parse(text) as Record<string, unknown>) : { text },
  };
};

/** Waits until a run has ended and returns it as the API shows it. */
export const waitForRun = async (
  stack: LocalStack,
  runId: string,
  timeoutMs = 20_000,
): Promise<Record<string, unknown>> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await apiCall(stack, 'GET', `/runs/${runId}`, {
      group: 'InsiderRiskManagement',
    });
    const run = body.run as Record<string, unknown> | undefined;
    if (run && run.status !== 'RUNNING' && run.status !== 'STARTING') {
      return run;
    }
    if (Date.now() > deadline) {
      throw new Error(`Run ${runId} still running: ${JSON.stringify(run)}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }
};

/** The emails the local SES has kept, oldest first. */
export interface StoredEmail {
  readonly messageId: string;
  readonly from: string;
  readonly destination: { to: string[] };
  readonly subject: string;
  readonly body: { html?: string; text?: string };
  readonly at: number;
}

export const mailbox = async (stack: LocalStack): Promise<StoredEmail[]> => {
  const response = await fetch(`${stack.mailboxUrl}/store`);
  const store = (await response.json()) as { emails: StoredEmail[] };

  return store.emails;
};
