import { Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { FunctionSpec } from '../functions/catalog.js';
import {
  TABLES,
  type TableId,
  type TableSpec,
} from '../functions/domain/tables.js';
import {
  type ArnPattern,
  customMachinesPattern,
  executionPatterns,
  templateMachineArns,
} from './arns.js';

/** An exact ARN, or a wildcard ARN with the reason it is one. */
export type Resource = string | ArnPattern;

/**
 * Allows `actions` on `resources` to the role. Actions are always named one
 * by one; a wildcard ARN acknowledges its cdk-nag finding with its reason.
 */
export const allow = (
  role: IRole,
  actions: readonly string[],
  resources: readonly Resource[],
  conditions?: Record<string, Record<string, string>>,
): void => {
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: [...actions],
      resources: resources.map((r) => (typeof r === 'string' ? r : r.arn)),
      conditions,
    }),
  );
  for (const resource of resources) {
    if (typeof resource === 'string') continue;
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${resource.finding}]`,
      reason: resource.reason,
    });
  }
};

/** DynamoDB actions per catalog access level. Nothing ever deletes. */
export const TABLE_ACTIONS = {
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
  write: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
} as const;

/**
 * The table access a function's catalog entry declares: reads on the table
 * and each of its indexes by name, writes on the table alone.
 */
export const allowTables = (
  role: IRole,
  spec: FunctionSpec,
  tables: Readonly<Record<TableId, ITable>>,
): void => {
  const uses = Object.entries(spec.tables) as [TableId, string][];
  for (const [tableId, access] of uses) {
    const table = tables[tableId];
    const model: TableSpec = TABLES[tableId];
    const indexes = [
      ...(model.globalIndexes ?? []),
      ...(model.localIndexes ?? []),
    ].map((index) => `${table.tableArn}/index/${index.name}`);
    if (access === 'read' || access === 'readwrite') {
      allow(role, TABLE_ACTIONS.read, [table.tableArn, ...indexes]);
    }
    if (access === 'write' || access === 'readwrite') {
      allow(role, TABLE_ACTIONS.write, [table.tableArn]);
    }
  }
};

/** Reading the secrets the catalog entry names. */
export const allowSecrets = (
  role: IRole,
  spec: FunctionSpec,
  secrets: { readonly serviceNow: ISecret; readonly aliasKey: ISecret },
): void => {
  const arns = (spec.secrets ?? []).map((secret) =>
    // A secret referenced by name has an ARN ending in six random characters.
    secret === 'servicenow'
      ? `${secrets.serviceNow.secretArn}-??????`
      : secrets.aliasKey.secretArn,
  );
  if (arns.length > 0) allow(role, ['secretsmanager:GetSecretValue'], arns);
};

/** What the Step Functions levels of the catalog allow. */
export interface FlowControlTargets {
  readonly stage: string;
  /** The only role a `manage` function may pass to a state machine. */
  readonly customFlowRoleArn: string;
}

/**
 * Step Functions access per catalog level, scoped to this stage's machines:
 * `start` runs them, `read` describes runs and their history, `manage`
 * creates, updates and deletes custom flows and stops runs.
 */
export const allowFlowControl = (
  role: IRole,
  spec: FunctionSpec,
  targets: FlowControlTargets,
): void => {
  const levels = new Set(spec.stepFunctions ?? []);
  const machines: Resource[] = [
    ...templateMachineArns(targets.stage),
    customMachinesPattern(targets.stage),
  ];
  const executions = executionPatterns(targets.stage);

  if (levels.has('start')) allow(role, ['states:StartExecution'], machines);
  if (levels.has('read')) {
    allow(
      role,
      ['states:DescribeStateMachine', 'states:ListExecutions'],
      machines,
    );
    allow(
      role,
      ['states:DescribeExecution', 'states:GetExecutionHistory'],
      executions,
    );
  }
  if (levels.has('manage')) {
    allow(
      role,
      [
        'states:CreateStateMachine',
        'states:UpdateStateMachine',
        'states:DeleteStateMachine',
        'states:DescribeStateMachine',
        'states:TagResource',
      ],
      [customMachinesPattern(targets.stage)],
    );
    allow(role, ['states:StopExecution'], executions);
    allow(role, ['iam:PassRole'], [targets.customFlowRoleArn], {
      StringEquals: { 'iam:PassedToService': 'states.amazonaws.com' },
    });
  }
};
