import type { RunOptions } from 'aws-local-stepfunctions';

type Overrides = NonNullable<RunOptions['overrides']>;

/** Local handlers for Task states, keyed by state name, as aws-local-stepfunctions takes them. */
export type TaskHandlers = NonNullable<Overrides['taskResourceLocalHandlers']>;
type JsonValue = Parameters<TaskHandlers[string]>[0];

/** A Lambda handler that runs in this process. */
export type LocalLambda = (event: unknown) => Promise<unknown>;

/**
 * Runs a Lambda task in-process: given the function ARN of a Task state's Resource,
 * returns its handler or undefined.
 */
export type LambdaResolver = (functionArn: string) => LocalLambda | undefined;

/** How a Task state's Resource is reached, in the terms its history events use. */
export type TaskTarget =
  | { kind: 'function'; functionArn: string }
  | { kind: 'integration'; resourceType: string; resource: string };

/** One invocation of a Task state's target, as the execution history reports it. */
export interface TaskCall {
  input: unknown;
  output?: unknown;
}

/** What the Task handlers of one run report to, and how they learn it was stopped. */
export interface TaskRunHooks {
  signal: AbortSignal;
  /** Called synchronously when a Task state calls its target, before the call settles. */
  onCall(stateName: string, call: TaskCall): void;
  /** Counts an invocation as work in progress until the returned function runs. */
  track(): () => void;
}

/** Where Lambda functions are found and how short names become ARNs. */
export interface LambdaSettings {
  region: string;
  accountId: string;
  resolveLambda: LambdaResolver;
}

/**
 * A failure Retry and Catch never match, like States.Runtime on AWS: the execution fails.
 * The library reads `isRetryable` and `isCatchable` from the thrown error.
 */
export class LocalRuntimeError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;

  constructor(message: string) {
    super(message);
    this.name = 'States.Runtime';
  }
}

/** An error thrown by a Lambda handler: named by its type, with the cause AWS would give. */
export class LambdaFunctionError extends Error {
  constructor(errorType: string, cause: string) {
    super(cause);
    this.name = errorType;
  }
}

const LAMBDA_FUNCTION_ARN =
  /^(arn:[^:]+:lambda:[^:]*:[^:]*:function:[^:]+)(:[^:]+)?$/;
const SERVICE_INTEGRATION_ARN = /^arn:[^:]+:states:::([^:]+):(.+)$/;

/** Classifies a Task state's Resource; a Lambda function ARN loses its version qualifier. */
export function taskTargetOf(resource: string): TaskTarget {
  const functionMatch = LAMBDA_FUNCTION_ARN.exec(resource);
  if (functionMatch?.[1])
    return { kind: 'function', functionArn: functionMatch[1] };
  const integration = SERVICE_INTEGRATION_ARN.exec(resource);
  if (integration?.[1] && integration[2]) {
    return {
      kind: 'integration',
      resourceType: integration[1],
      resource: integration[2],
    };
  }

  return { kind: 'integration', resourceType: 'unknown', resource };
}

function functionArnOf(nameOrArn: string, settings: LambdaSettings): string {
  const target = taskTargetOf(nameOrArn);
  if (target.kind === 'function') return target.functionArn;
  const name = nameOrArn.split(':')[0] ?? nameOrArn;

  return `arn:aws:lambda:${settings.region}:${settings.accountId}:function:${name}`;
}

function toJson(value: unknown): JsonValue {
  const text = JSON.stringify(value);

  return text === undefined ? null : (JSON.parse(text) as JsonValue);
}

function resolveHandler(
  functionArn: string,
  settings: LambdaSettings,
): LocalLambda {
  const handler = settings.resolveLambda(functionArn);
  if (!handler) {
    throw new LocalRuntimeError(
      `No local handler for Lambda function ${functionArn}`,
    );
  }

  return handler;
}

type Invoker = (input: JsonValue) => Promise<unknown>;

function functionInvoker(
  functionArn: string,
  settings: LambdaSettings,
): Invoker {
  return async (input) => resolveHandler(functionArn, settings)(toJson(input));
}

// The optimized integration takes FunctionName and Payload from the state's Parameters.
function lambdaInvokeInvoker(settings: LambdaSettings): Invoker {
  return async (input) => {
    const parameters = (input ?? {}) as {
      FunctionName?: unknown;
      Payload?: unknown;
    };
    if (typeof parameters.FunctionName !== 'string') {
      throw new LocalRuntimeError(
        'lambda:invoke needs a FunctionName in its Parameters',
      );
    }
    const functionArn = functionArnOf(parameters.FunctionName, settings);
    const payload = await resolveHandler(
      functionArn,
      settings,
    )(toJson(parameters.Payload));

    return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 };
  };
}

function invokerFor(resource: string, settings: LambdaSettings): Invoker {
  const target = taskTargetOf(resource);
  if (target.kind === 'function')
    return functionInvoker(target.functionArn, settings);
  if (target.resourceType === 'lambda' && target.resource === 'invoke') {
    return lambdaInvokeInvoker(settings);
  }

  return async () => {
    throw new LocalRuntimeError(
      `Task resource ${resource} is not supported locally: only Lambda functions run here`,
    );
  };
}

// The Node.js Lambda runtime reports a thrown error this way in Cause.
function toTaskError(thrown: unknown): Error {
  if (thrown instanceof LocalRuntimeError) return thrown;
  const error = thrown instanceof Error ? thrown : new Error(String(thrown));
  const cause = JSON.stringify({
    errorType: error.name,
    errorMessage: error.message,
    trace: error.stack?.split('\n') ?? [],
  });

  return new LambdaFunctionError(error.name, cause);
}

async function runTask(
  stateName: string,
  input: JsonValue,
  invoke: Invoker,
  hooks: TaskRunHooks,
): Promise<JsonValue> {
  if (hooks.signal.aborted) {
    // A Retry wait ends early on abort and the library would otherwise call the task again.
    throw new LocalRuntimeError('The execution was stopped');
  }
  const call: TaskCall = { input };
  hooks.onCall(stateName, call);
  const done = hooks.track();
  try {
    call.output = toJson(await invoke(input));

    return call.output as JsonValue;
  } catch (thrown) {
    throw toTaskError(thrown);
  } finally {
    done();
  }
}

/** Builds Task state handlers; the invokers behind them are built once per definition. */
export class TaskHandlerFactory {
  private readonly invokersByTasks = new WeakMap<
    ReadonlyMap<string, string>,
    Map<string, Invoker>
  >();

  constructor(private readonly settings: LambdaSettings) {}

  /** Returns the handlers of one run: per run because they report to its history. */
  handlersFor(
    tasks: ReadonlyMap<string, string>,
    hooks: TaskRunHooks,
  ): TaskHandlers {
    const handlers: TaskHandlers = {};
    for (const [stateName, invoke] of this.invokersOf(tasks)) {
      handlers[stateName] = (input) => runTask(stateName, input, invoke, hooks);
    }

    return handlers;
  }

  private invokersOf(tasks: ReadonlyMap<string, string>): Map<string, Invoker> {
    let invokers = this.invokersByTasks.get(tasks);
    if (!invokers) {
      invokers = new Map();
      for (const [name, resource] of tasks) {
        invokers.set(name, invokerFor(resource, this.settings));
      }
      this.invokersByTasks.set(tasks, invokers);
    }

    return invokers;
  }
}
