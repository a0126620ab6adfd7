import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  Runtime,
  StartingPosition,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import {
  DynamoEventSource,
  SqsDlq,
} from 'aws-cdk-lib/aws-lambda-event-sources';
import {
  type ICommandHooks,
  NodejsFunction,
  OutputFormat,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALL_FUNCTIONS, type FunctionSpec } from '../functions/catalog.js';
import {
  TABLES,
  type TableId,
  type TableSpec,
} from '../functions/domain/tables.js';
import type { Mail } from './mail.js';
import {
  allow,
  allowFlowControl,
  allowSecrets,
  allowTables,
} from './permissions.js';
import { functionsDir, pascalCase } from './project.js';
import type { FlowSecrets } from './secrets.js';
import { settingsFor } from './settings.js';

export interface ActionFunctionsProps {
  /** Deployment name, part of every function name. */
  readonly stage: string;
  /** The data model's tables, by id. */
  readonly tables: Readonly<Record<TableId, ITable>>;
  readonly mail: Mail;
  readonly secrets: FlowSecrets;
  /** Role given to custom-flow state machines (passed by `manage`). */
  readonly customFlowRole: IRole;
  /** Dead-letter queue of asynchronous invocations. */
  readonly failedInvocations: IQueue;
  /** Base URL of the public response pages. */
  readonly publicBaseUrl: string;
  readonly serviceNowInstanceUrl: string;
  /**
   * Catalog entries to create. Defaults to every entry of the catalog whose
   * handler file exists: entries are added to the catalog before their
   * handler is written, and bundling needs the file.
   */
  readonly specs?: readonly FunctionSpec[];
  /** @default three months */
  readonly logRetention?: RetentionDays;
}

const RUNTIME_REASON =
  'The functions run on nodejs22.x, the runtime the bundles are built and ' +
  'tested for; a newer runtime is adopted once the tools support it.';

/** ESM bundles need `require` for the CommonJS code inside dependencies. */
const REQUIRE_BANNER =
  "import { createRequire } from 'node:module';" +
  'const require = createRequire(import.meta.url);';

/**
 * Email and page templates are files read at run time, so every bundle gets
 * a copy next to its code (`TEMPLATES_DIR` points there).
 */
const COPY_TEMPLATES: ICommandHooks = {
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (inputDir, outputDir) => [
    `cp -R "${join(inputDir, 'functions', 'templates')}" "${join(outputDir, 'templates')}"`,
  ],
};

/**
 * One Lambda function per catalog entry, each with its own role holding
 * exactly the grants its entry declares, its own log group, and the
 * settings its entry needs in the environment.
 */
export class ActionFunctions extends Construct {
  /** The functions by catalog name. */
  readonly byName: ReadonlyMap<string, NodejsFunction>;
  /** The catalog entries the functions were created from. */
  readonly specs: readonly FunctionSpec[];

  private readonly props: ActionFunctionsProps;

  constructor(scope: Construct, id: string, props: ActionFunctionsProps) {
    super(scope, id);
    this.props = props;

    this.specs =
      props.specs ??
      ALL_FUNCTIONS.filter((spec) =>
        existsSync(join(functionsDir(), `${spec.name}.ts`)),
      );
    this.byName = new Map(
      this.specs.map((spec) => [spec.name, this.createFunction(spec)]),
    );

    for (const id of ['AwsSolutions-L1', 'Serverless-LambdaLatestVersion']) {
      Validations.of(this).acknowledge({ id, reason: RUNTIME_REASON });
    }
  }

  private createFunction(spec: FunctionSpec): NodejsFunction {
    const id = pascalCase(spec.name);
    const functionName = `irm-${this.props.stage}-${spec.name}`;
    const role = new Role(this, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${functionName}`,
    });
    const logGroup = new LogGroup(this, `${id}Logs`, {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: this.props.logRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const handler = new NodejsFunction(this, id, {
      functionName,
      description: spec.description,
      entry: join(functionsDir(), `${spec.name}.ts`),
      handler: 'handler',
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: spec.memoryMb ?? 512,
      timeout: Duration.seconds(spec.timeoutSeconds ?? 15),
      role,
      logGroup,
      tracing: Tracing.ACTIVE,
      deadLetterQueue: this.props.failedInvocations,
      environment: settingsFor(spec, {
        ...this.props,
        customFlowRoleArn: this.props.customFlowRole.roleArn,
      }),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        bundleAwsSDK: true,
        banner: REQUIRE_BANNER,
        commandHooks: COPY_TEMPLATES,
      },
    });

    logGroup.grantWrite(role);
    this.grantCatalogAccess(spec, role);
    this.consumeStreams(spec, handler);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only X-Ray tracing and, for stream readers, dynamodb:ListStreams use ' +
        'this resource: neither action has resource-level permissions.',
    });

    return handler;
  }

  private grantCatalogAccess(spec: FunctionSpec, role: IRole): void {
    allowTables(role, spec, this.props.tables);
    allowSecrets(role, spec, this.props.secrets);
    allowFlowControl(role, spec, {
      stage: this.props.stage,
      customFlowRoleArn: this.props.customFlowRole.roleArn,
    });
    if (spec.sendsEmail) {
      allow(role, ['ses:SendEmail'], this.props.mail.sendResources);
    }
  }

  /** Invokes the function with the change streams its entry names. */
  private consumeStreams(spec: FunctionSpec, handler: NodejsFunction): void {
    for (const tableId of spec.streams ?? []) {
      const model: TableSpec = TABLES[tableId];
      if (!model.stream) {
        throw new Error(
          `${spec.name} reads the stream of ${tableId}, which has none`,
        );
      }
      handler.addEventSource(
        new DynamoEventSource(this.props.tables[tableId], {
          startingPosition: StartingPosition.LATEST,
          batchSize: 10,
          bisectBatchOnError: true,
          // The handler names the first record that failed; only it and
          // those after it are retried.
          reportBatchItemFailures: true,
          retryAttempts: 5,
          maxRecordAge: Duration.hours(6),
          onFailure: new SqsDlq(this.props.failedInvocations),
        }),
      );
    }
  }
}
