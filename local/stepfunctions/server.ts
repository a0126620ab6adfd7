import './polyfill.js';
import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Activity } from './activity.js';
import { DefinitionCache } from './definitions.js';
import { ExecutionRegistry, isExecutionRecord } from './executions.js';
import { isStateMachineRecord, MachineRegistry } from './machines.js';
import {
  createOperations,
  type Operation,
  type Registries,
} from './operations.js';
import {
  errorBody,
  operationOf,
  parseRequestBody,
  SfnApiError,
  SfnErrorCode,
} from './protocol.js';
import { ExecutionRunner } from './runner.js';
import { JsonStore, StoreFolder } from './store.js';
import { type LambdaResolver, TaskHandlerFactory } from './tasks.js';

export type { LambdaResolver } from './tasks.js';

/** Settings of the local Step Functions endpoint. */
export interface StepFunctionsOptions {
  /** Interface to listen on; 127.0.0.1 when absent. */
  host?: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  region: string;
  accountId: string;
  resolveLambda: LambdaResolver;
  /**
   * Every Wait state waits this many ms instead of its own duration (local stacks shorten
   * waits of days by configuration). Undefined = real durations.
   */
  waitOverrideMs?: number;
  /**
   * Every Retry waits this many ms between attempts instead of its own intervals.
   * Undefined = real intervals.
   */
  retryIntervalOverrideMs?: number;
  /**
   * Folder where state machines and finished executions are kept as JSON so that a restart
   * keeps them; undefined = memory only.
   */
  dataDir?: string;
}

/** A running local Step Functions endpoint. */
export interface StepFunctionsEndpoint {
  /** Base URL for an SDK client's `endpoint` or `AWS_ENDPOINT_URL_SFN`. */
  url: string;
  port: number;
  /** Stops listening; executions still running end FAILED, as after a crash. */
  close(): Promise<void>;
  /** resolves when no execution is running (for tests and clean shutdown) */
  idle(): Promise<void>;
}

const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';
const MAX_BODY_BYTES = 10 * 1024 * 1024;

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new SfnApiError(
        SfnErrorCode.ValidationException,
        'Request body is too large',
      );
    }
    chunks.push(chunk as Buffer);
  }

  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': JSON_CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
  });
  response.end(text);
}

function sendError(response: ServerResponse, error: unknown): void {
  if (error instanceof SfnApiError) {
    send(response, 400, errorBody(error));

    return;
  }
  const failure = 'Local Step Functions request failed';
  console.error(JSON.stringify({ message: failure, error: String(error) }));
  send(response, 500, { __type: 'InternalFailure', message: failure });
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  operations: ReadonlyMap<string, Operation>,
): Promise<void> {
  try {
    const name = operationOf(request.headers['x-amz-target']);
    const operation = operations.get(name);
    if (request.method !== 'POST' || !operation) {
      throw new SfnApiError(
        SfnErrorCode.UnknownOperationException,
        `Operation ${request.method} ${name} is not supported by the local endpoint`,
      );
    }
    send(
      response,
      200,
      await operation(parseRequestBody(await readBody(request))),
    );
  } catch (error) {
    sendError(response, error);
  }
}

function listen(
  server: Server,
  host: string,
  port: number,
): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

async function loadSaved(
  store: JsonStore,
  { machines, executions }: Registries,
) {
  machines.load(
    (await store.readAll(StoreFolder.stateMachines)).filter(
      isStateMachineRecord,
    ),
  );
  executions.load(
    (await store.readAll(StoreFolder.executions)).filter(isExecutionRecord),
  );
}

function createRegistries(
  options: StepFunctionsOptions,
  activity: Activity,
  store: JsonStore | undefined,
): Registries {
  const { region, accountId, resolveLambda } = options;
  const arnPrefix = `arn:aws:states:${region}:${accountId}`;
  const runner = new ExecutionRunner({
    region,
    activity,
    tasks: new TaskHandlerFactory({ region, accountId, resolveLambda }),
    waitOverrideMs: options.waitOverrideMs,
    retryIntervalOverrideMs: options.retryIntervalOverrideMs,
  });

  return {
    machines: new MachineRegistry(arnPrefix, new DefinitionCache(), store),
    executions: new ExecutionRegistry(arnPrefix, runner, store),
  };
}

/**
 * Starts an in-process HTTP server (127.0.0.1 by default) that speaks the Step Functions API
 * (AWS JSON 1.0) to an unmodified SDK client and runs ASL with aws-local-stepfunctions. Task
 * states call Lambda handlers of this process through `resolveLambda`, by function ARN or
 * through `arn:aws:states:::lambda:invoke`.
 *
 * Executions that were running when the process stopped are loaded as FAILED (States.Runtime,
 * "The local stack stopped while this execution was running."): the library cannot resume a
 * run in the middle of its states.
 *
 * Definitions using JSONata, variables (`Assign`) or `.waitForTaskToken` are refused with
 * InvalidDefinition, because the library would ignore them and give wrong answers. Other
 * service integrations and activities fail the execution with States.Runtime: only Lambda
 * functions run here. EXPRESS machines run and are kept like STANDARD ones.
 *
 * @example
 * const sfn = await startStepFunctions({ port: 0, region, accountId, resolveLambda });
 * const client = new SFNClient({ region, endpoint: sfn.url });
 */
export async function startStepFunctions(
  options: StepFunctionsOptions,
): Promise<StepFunctionsEndpoint> {
  const store = options.dataDir
    ? await JsonStore.open(options.dataDir)
    : undefined;
  const activity = new Activity();
  const registries = createRegistries(options, activity, store);
  if (store) await loadSaved(store, registries);

  const operations = createOperations(registries);
  const server = createServer(
    (request, response) => void handle(request, response, operations),
  );
  const host = options.host ?? '127.0.0.1';
  const { port } = await listen(server, host, options.port);
  let closing: Promise<void> | undefined;
  const close = async () => {
    await closeServer(server);
    registries.executions.interruptAll();
    await store?.close();
  };

  return {
    url: `http://${host}:${port}`,
    port,
    close: () => {
      closing ??= close();

      return closing;
    },
    idle: () => activity.idle(),
  };
}
