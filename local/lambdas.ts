import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from 'aws-lambda';
import { ALL_FUNCTIONS } from '../functions/catalog.js';

const invocation = new AsyncLocalStorage<string>();

/**
 * The catalog name of the function whose invocation is running here, as
 * Lambda would isolate it; undefined outside any. Tests use it to check
 * that each function touches only what its IAM grants allow.
 */
export const currentFunction = (): string | undefined => invocation.getStore();

/** Region and account the local stack pretends to be. */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

export type LocalHandler = (event: unknown) => Promise<unknown>;

type LambdaModule = {
  handler: (event: unknown, context: Context) => Promise<unknown>;
};

/** The ARN a function of the catalog has on the local stack. */
export const localFunctionArn = (stage: string, name: string): string =>
  `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:irm-${stage}-${name}`;

const context = (name: string): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName: name,
  functionVersion: '$LATEST',
  invokedFunctionArn: name,
  memoryLimitInMB: '256',
  awsRequestId: crypto.randomUUID(),
  logGroupName: `/local/${name}`,
  logStreamName: 'local',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/**
 * Runs the real handler files in this process, as Lambda would run them:
 * one module per function, loaded once, called with an event and a context.
 */
export class LocalLambdas {
  private readonly modules = new Map<string, Promise<LambdaModule>>();

  constructor(private readonly stage: string) {}

  /** Loads a function's module (its clients read the environment now). */
  private load(name: string): Promise<LambdaModule> {
    let loaded = this.modules.get(name);
    if (!loaded) {
      loaded = import(`../functions/${name}.js`) as Promise<LambdaModule>;
      this.modules.set(name, loaded);
    }

    return loaded;
  }

  /** Calls a function by its catalog name. */
  async invoke(name: string, event: unknown): Promise<unknown> {
    const module = await this.load(name);

    return invocation.run(name, () => module.handler(event, context(name)));
  }

  /** Finds the local handler for an ARN from a definition substitution. */
  resolve = (functionArn: string): LocalHandler | undefined => {
    const prefix = localFunctionArn(this.stage, '');
    if (!functionArn.startsWith(prefix)) return undefined;
    const name = functionArn.slice(prefix.length);
    if (!ALL_FUNCTIONS.some((spec) => spec.name === name)) return undefined;

    return (event) => this.invoke(name, event);
  };
}
