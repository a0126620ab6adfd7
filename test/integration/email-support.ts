import { join } from 'node:path';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import type { Flow } from '../../functions/domain/flows.js';
import type { Alert } from '../../functions/domain/model.js';

/*
 * The emulators the email and response-page tests run against: dynalite in
 * memory and the SES v2 mailbox, both on free ports of 127.0.0.1. The
 * environment is set before any handler module is imported, because SDK
 * clients and settings are read when a module loads.
 */

export const PUBLIC_BASE_URL = 'https://irm.example.test';

/** One email as the SES mailbox's `/store` lists it. */
export interface StoredEmail {
  readonly messageId: string;
  readonly destination: { to: string[] };
  readonly subject: string;
  readonly body: { html?: string; text?: string };
}

export interface MailStack {
  readonly sesUrl: string;
  emails(): Promise<StoredEmail[]>;
  close(): Promise<void>;
}

/** Starts dynalite and the SES mailbox and points the environment at them. */
export const startMailStack = async (): Promise<MailStack> => {
  const local = await import('../../local/dynamo.js');
  const { startSes } = await import('../../local/ses.js');
  const dynamo = await local.startDynamo({ port: 0 });
  await local.ensureTables(dynamo.url, 'test');
  const ses = await startSes(0);
  Object.assign(process.env, local.tableEnvironment('test'), {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_ENDPOINT_URL_SESV2: ses.url,
    TEMPLATES_DIR: join(__dirname, '../../functions/templates'),
    PUBLIC_BASE_URL,
    SENDER_ADDRESS: 'insider-risk@flows.example',
    ALIAS_SECRET: 'integration-test-secret',
  });
  // Every email names a person: send-email sends none while pseudonymised.
  const { changePrivacySetting } = await import(
    '../../functions/domain/privacy.js'
  );
  await changePrivacySetting(
    false,
    { userId: 'test-setup', groups: ['InsiderRiskManagement'] },
    new Date().toISOString(),
  );

  return {
    sesUrl: ses.url,
    emails: async () => {
      const answer = await fetch(`${ses.url}/store`);
      const store = (await answer.json()) as { emails: StoredEmail[] };

      return store.emails;
    },
    close: async () => {
      await ses.close();
      await dynamo.close();
    },
  };
};

/** A Lambda context good enough for middy and the Powertools logger. */
export const lambdaContext = (name: string): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: name,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
  memoryLimitInMB: '256',
  awsRequestId: crypto.randomUUID(),
  logGroupName: `/test/${name}`,
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

type Handler<I, O> = (event: I, context: Context) => Promise<O>;

/** Loads a function of the catalog and calls it like Lambda would. */
export const invoke = async <O>(name: string, event: unknown): Promise<O> => {
  const module = (await import(`../../functions/${name}.js`)) as {
    handler: Handler<unknown, O>;
  };

  return module.handler(event, lambdaContext(name));
};

/** Calls the response-page function with an HTTP API (payload 2.0) event. */
export const openPage = (
  method: 'GET' | 'HEAD' | 'POST',
  url: string,
  form?: Record<string, string>,
): Promise<APIGatewayProxyStructuredResultV2> => {
  const path = new URL(url).pathname;
  const token = decodeURIComponent(path.split('/').pop() ?? '');
  const body = form ? new URLSearchParams(form).toString() : undefined;
  const event = {
    version: '2.0',
    routeKey: `${method} /r/{token}`,
    rawPath: path,
    rawQueryString: '',
    headers: form
      ? { 'content-type': 'application/x-www-form-urlencoded' }
      : {},
    pathParameters: { token },
    requestContext: { http: { method, path } },
    body,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;

  return invoke('response-page', event);
};

/** Stores a flow's first version through the real repository. */
export const seedFlow = async (
  flowId: string,
  templateId: Flow['templateId'],
  settings: Record<string, unknown>,
): Promise<Flow> => {
  const { createFlow } = await import('../../functions/domain/flows.js');
  const now = '2026-11-30T14:00:00.000Z';

  return createFlow({
    flowId,
    templateId,
    name: `Test ${templateId}`,
    settings,
    createdBy: 'analyst@example.test',
    createdAt: now,
    updatedAt: now,
    updatedBy: 'seed',
    door: 'dashboard',
    owners: [],
    ownerGroups: [],
  });
};

/** Writes many alerts of a case quickly, 25 to a batch. */
export const seedAlerts = async (alerts: readonly Alert[]): Promise<void> => {
  const { BatchWriteCommand } = await import('@aws-sdk/lib-dynamodb');
  const { dynamo } = await import('../../functions/domain/clients.js');
  const table = process.env.ALERTS_TABLE ?? '';
  for (let start = 0; start < alerts.length; start += 25) {
    let pending = alerts
      .slice(start, start + 25)
      .map((Item) => ({ PutRequest: { Item } }));
    while (pending.length > 0) {
      const answer = await dynamo.send(
        new BatchWriteCommand({ RequestItems: { [table]: pending } }),
      );
      pending = (answer.UnprocessedItems?.[table] ?? []) as typeof pending;
    }
  }
};

/** The response links in an email's HTML, in option order. */
export const linksIn = (html: string): string[] =>
  [...html.matchAll(/href="(https:\/\/irm\.example\.test\/r\/[\w-]+)"/g)].map(
    (match) => match[1] ?? '',
  );
