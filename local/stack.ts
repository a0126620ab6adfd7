import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CreateStateMachineCommand,
  SFNClient,
  StateMachineAlreadyExists,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import {
  ALL_FUNCTIONS,
  stateMachineName,
  substitutionName,
  TEMPLATE_MACHINES,
} from '../functions/catalog.js';
import { type LocalApi, startLocalApi } from './api-server.js';
import { createLocalAuth, DEMO_ACCOUNTS, type LocalAuth } from './auth.js';
import { ensureTables, startDynamo, tableEnvironment } from './dynamo.js';
import {
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  LocalLambdas,
  localFunctionArn,
} from './lambdas.js';
import { portInUseError } from './net.js';
import { LOCAL_ALIAS_SECRET, LOCAL_SERVICENOW } from './secrets.js';
import { type LocalServiceNow, startServiceNow } from './servicenow.js';
import { startSes } from './ses.js';
import {
  type StepFunctionsEndpoint,
  startStepFunctions,
} from './stepfunctions/server.js';
import { type LocalStreams, startStreams } from './streams.js';

/** Ports of the local services; 0 picks a free one. */
export interface LocalPorts {
  readonly api: number;
  readonly dynamodb: number;
  readonly ses: number;
  readonly stepFunctions: number;
  readonly serviceNow: number;
}

/**
 * The settings that choose each port (`SES_PORT`), as the program starting
 * the stack reads them: a port in use is reported with the one to change.
 */
export type LocalPortSettings = Partial<Record<keyof LocalPorts, string>>;

export interface LocalStackOptions {
  readonly ports: LocalPorts;
  /** Named in the error when a port is in use; generic advice when absent. */
  readonly portSettings?: LocalPortSettings;
  /** Folder for data that survives restarts; in memory when absent. */
  readonly dataDir?: string;
  /** Every Wait state waits this long: days become seconds on one machine. */
  readonly waitOverrideMs: number;
  /** Every Retry interval becomes this long; real intervals when absent. */
  readonly retryIntervalOverrideMs?: number;
  /** Base of response links; the API's own address when absent. */
  readonly publicBaseUrl?: string;
}

export interface LocalStack {
  readonly apiUrl: string;
  readonly mailboxUrl: string;
  readonly dynamodbUrl: string;
  readonly stepFunctionsUrl: string;
  readonly serviceNow: LocalServiceNow;
  readonly stepFunctions: StepFunctionsEndpoint;
  readonly auth: LocalAuth;
  readonly lambdas: LocalLambdas;
  /** DynamoDB Streams in front of dynalite: deliveries and dead letters. */
  readonly streams: LocalStreams;
  /** A bearer token for each demo account, by role group. */
  readonly tokens: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

export const LOCAL_STAGE = 'local';
const REPO_ROOT = resolve(process.cwd());

/**
 * Points the SDK clients and handlers at the emulators, exactly as the CDK
 * stack sets a function's environment on AWS.
 */
const setEnvironment = (values: Record<string, string>): void => {
  for (const [name, value] of Object.entries(values)) process.env[name] = value;
};

const registerTemplates = async (endpoint: string): Promise<void> => {
  const client = new SFNClient({ endpoint, region: LOCAL_REGION });
  const substitutions = Object.fromEntries(
    ALL_FUNCTIONS.map((spec) => [
      substitutionName(spec.name),
      localFunctionArn(LOCAL_STAGE, spec.name),
    ]),
  );
  for (const machine of TEMPLATE_MACHINES) {
    const file = join(REPO_ROOT, 'statemachines', machine.file);
    const definition = readFileSync(file, 'utf8').replace(
      /\$\{(\w+)\}/g,
      (whole, name: string) => substitutions[name] ?? whole,
    );
    const name = stateMachineName(LOCAL_STAGE, machine.templateId);
    try {
      await client.send(
        new CreateStateMachineCommand({
          name,
          definition,
          roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/irm-local-flows`,
          type: 'STANDARD',
        }),
      );
    } catch (error) {
      // Kept from an earlier start: the file may have changed since.
      if (!(error instanceof StateMachineAlreadyExists)) throw error;
      await client.send(
        new UpdateStateMachineCommand({
          stateMachineArn:
            `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:` +
            name,
          definition,
        }),
      );
    }
  }
  client.destroy();
};

/** Starts every service of the product in this process. */
export const startLocalStack = async (
  options: LocalStackOptions,
): Promise<LocalStack> => {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closeOne of closers.reverse()) await closeOne();
  };
  try {
    return await startServices(options, closers, close);
  } catch (error) {
    await close();
    throw error;
  }
};

const startServices = async (
  options: LocalStackOptions,
  closers: (() => Promise<void>)[],
  close: () => Promise<void>,
): Promise<LocalStack> => {
  const { ports, dataDir } = options;
  const settings = options.portSettings ?? {};
  // Every SDK client of the stack, ours and the handlers', needs a region
  // and some credentials; the emulators accept any.
  setEnvironment({
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  if (dataDir) mkdirSync(join(dataDir, 'stepfunctions'), { recursive: true });
  // The DynamoDB port is the stream proxy's; dynalite sits behind it.
  const dynamo = await startDynamo({
    port: 0,
    path: dataDir ? join(dataDir, 'dynamodb') : undefined,
  });
  closers.push(dynamo.close);
  await ensureTables(dynamo.url, LOCAL_STAGE);
  const ses = await startSes(ports.ses, settings.ses);
  closers.push(ses.close);
  const serviceNow = await startServiceNow({
    port: ports.serviceNow,
    portSetting: settings.serviceNow,
    username: LOCAL_SERVICENOW.username,
    password: LOCAL_SERVICENOW.password,
  });
  closers.push(serviceNow.close);
  const lambdas = new LocalLambdas(LOCAL_STAGE);
  const streams = await startStreams({
    port: ports.dynamodb,
    portSetting: settings.dynamodb,
    dynamoUrl: dynamo.url,
    stage: LOCAL_STAGE,
    lambdas,
  });
  closers.push(streams.close);
  const stepFunctions = await startStepFunctionsOn(options, lambdas);
  closers.push(stepFunctions.close);
  const auth = await createLocalAuth(
    dataDir ? join(dataDir, 'jwt-key.json') : undefined,
  );
  const api = await startApiWithEnvironment(options, {
    dynamo: streams.url,
    ses: ses.url,
    sfn: stepFunctions.url,
    serviceNow: serviceNow.url,
    auth,
    lambdas,
  });
  closers.push(api.close);
  await registerTemplates(stepFunctions.url);
  // Closed first: changes still on their way reach their handlers.
  closers.push(streams.settled);

  return {
    apiUrl: api.url,
    mailboxUrl: ses.url,
    dynamodbUrl: streams.url,
    stepFunctionsUrl: stepFunctions.url,
    serviceNow,
    stepFunctions,
    auth,
    lambdas,
    streams,
    tokens: await demoTokens(auth),
    close,
  };
};

/** The Step Functions endpoint, with `listen`'s message for a busy port. */
const startStepFunctionsOn = async (
  options: LocalStackOptions,
  lambdas: LocalLambdas,
): Promise<StepFunctionsEndpoint> => {
  const port = options.ports.stepFunctions;
  try {
    return await startStepFunctions({
      port,
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
      resolveLambda: lambdas.resolve,
      waitOverrideMs: options.waitOverrideMs,
      retryIntervalOverrideMs: options.retryIntervalOverrideMs,
      dataDir: options.dataDir
        ? join(options.dataDir, 'stepfunctions')
        : undefined,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    throw portInUseError(
      'Step Functions',
      `127.0.0.1:${port}`,
      options.portSettings?.stepFunctions,
    );
  }
};

const startApiWithEnvironment = async (
  options: LocalStackOptions,
  services: {
    dynamo: string;
    ses: string;
    sfn: string;
    serviceNow: string;
    auth: LocalAuth;
    lambdas: LocalLambdas;
  },
): Promise<LocalApi> => {
  // The API's port must be known before the handlers read PUBLIC_BASE_URL.
  const api = await startLocalApi({
    port: options.ports.api,
    portSetting: options.portSettings?.api,
    auth: services.auth,
    lambdas: services.lambdas,
  });
  setEnvironment({
    AWS_ENDPOINT_URL_DYNAMODB: services.dynamo,
    AWS_ENDPOINT_URL_SESV2: services.ses,
    AWS_ENDPOINT_URL_SFN: services.sfn,
    ...tableEnvironment(LOCAL_STAGE),
    STAGE: LOCAL_STAGE,
    STATE_MACHINE_ARN_PREFIX:
      `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:` +
      `irm-${LOCAL_STAGE}-`,
    // Custom flows: their machines call functions by `<prefix><name>`.
    FUNCTION_ARN_PREFIX: localFunctionArn(LOCAL_STAGE, ''),
    CUSTOM_FLOW_ROLE_ARN: `arn:aws:iam::${LOCAL_ACCOUNT}:role/irm-local-custom`,
    PUBLIC_BASE_URL: options.publicBaseUrl ?? api.url,
    SENDER_ADDRESS: 'insider-risk@flows.example',
    SES_CONFIGURATION_SET: '',
    TEMPLATES_DIR: join(REPO_ROOT, 'functions', 'templates'),
    ALIAS_SECRET: LOCAL_ALIAS_SECRET,
    SERVICENOW_INSTANCE_URL: services.serviceNow,
    SERVICENOW_SECRET: JSON.stringify({
      username: LOCAL_SERVICENOW.username,
      password: LOCAL_SERVICENOW.password,
    }),
  });

  return api;
};

const demoTokens = async (auth: LocalAuth): Promise<Record<string, string>> => {
  const tokens: Record<string, string> = {};
  for (const account of DEMO_ACCOUNTS) {
    tokens[account.group] = await auth.issue(account.userId, [account.group]);
  }

  return tokens;
};
