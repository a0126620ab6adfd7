import { afterAll, describe, expect, it } from '@jest/globals';
import type { FunctionSpec } from '../../functions/catalog.js';
import { TABLES, type TableId } from '../../functions/domain/tables.js';
import { TABLE_ACTIONS } from '../../lib/permissions.js';
import {
  actionsOf,
  asList,
  deployedSpecs,
  functionLogicalId,
  statementsOfFunction,
  synthesiseStack,
  type TemplateStatement,
  useScratchTmpdir,
} from './stack-fixture.js';

const cleanTmpdir = useScratchTmpdir();
afterAll(cleanTmpdir);

const { template } = synthesiseStack();
const resources = template.toJSON().Resources as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>;
const specs = deployedSpecs();
const eachSpec = specs.map((spec) => [spec.name, spec] as const);

const functionOf = (name: string) =>
  resources[functionLogicalId(template, name)]?.Properties ?? {};

const tableLogicalId = (tableId: TableId): string => {
  const [id] = Object.keys(
    template.findResources('AWS::DynamoDB::Table', {
      Properties: { TableName: `irm-test-${TABLES[tableId].id}` },
    }),
  );

  return id ?? '';
};

/** The logical ids a statement's resources refer to. */
const referencedIds = (statement: TemplateStatement): string[] =>
  asList(statement.Resource).map(
    (resource) =>
      JSON.stringify(resource).match(/"Fn::GetAtt":\["([^"]+)"/)?.[1] ?? '',
  );

/** DynamoDB actions a function's role allows, per table logical id. */
const tableActions = (name: string): Map<string, Set<string>> => {
  const byTable = new Map<string, Set<string>>();
  for (const statement of statementsOfFunction(template, name)) {
    const actions = asList(statement.Action).filter((a) =>
      a.startsWith('dynamodb:'),
    );
    for (const id of actions.length > 0 ? referencedIds(statement) : []) {
      const set = byTable.get(id) ?? new Set<string>();
      for (const action of actions) set.add(action);
      byTable.set(id, set);
    }
  }

  return byTable;
};

const STREAM_READS = [
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
];

/** The actions a catalog entry's tables and streams call for, per table. */
const expectedTableActions = (spec: FunctionSpec) => {
  const expected = new Map<string, Set<string>>();
  const add = (tableId: TableId, actions: readonly string[]) => {
    const id = tableLogicalId(tableId);
    expected.set(id, new Set([...(expected.get(id) ?? []), ...actions]));
  };
  for (const [tableId, access] of Object.entries(spec.tables) as [
    TableId,
    string,
  ][]) {
    if (access !== 'write') add(tableId, TABLE_ACTIONS.read);
    if (access !== 'read') add(tableId, TABLE_ACTIONS.write);
  }
  for (const tableId of spec.streams ?? []) add(tableId, STREAM_READS);
  if (spec.streams?.length) expected.set('', new Set(['dynamodb:ListStreams']));

  return expected;
};

describe('ActionFunctions', () => {
  it('creates one function per catalog entry that has a handler file', () => {
    const names = Object.values(
      template.findResources('AWS::Lambda::Function'),
    ).map((fn) => fn.Properties.FunctionName);

    expect(names.sort()).toEqual(
      specs.map((spec) => `irm-test-${spec.name}`).sort(),
    );
  });

  it.each(eachSpec)('runs %s on nodejs22.x, arm64, traced', (name) => {
    const fn = functionOf(name);

    expect(fn.Runtime).toBe('nodejs22.x');
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
    expect(fn.Handler).toBe('index.handler');
  });

  it.each(eachSpec)('sizes %s from its catalog entry', (name, spec) => {
    const fn = functionOf(name);

    expect(fn.MemorySize).toBe(spec.memoryMb ?? 512);
    expect(fn.Timeout).toBe(spec.timeoutSeconds ?? 15);
  });

  it.each(eachSpec)('sends failed async calls of %s to the DLQ', (name) => {
    const fn = functionOf(name);

    expect(JSON.stringify(fn.DeadLetterConfig)).toContain(
      'OperationsFailedInvocations',
    );
  });

  it.each(eachSpec)('logs %s to its own group kept 90 days', (name) => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/lambda/irm-test-${name}`,
      RetentionInDays: 90,
    });
  });

  it.each(eachSpec)('gives %s the common settings', (name) => {
    const variables = (
      functionOf(name).Environment as { Variables: Record<string, unknown> }
    ).Variables;

    expect(variables).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'insider-risk-flows',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      STAGE: 'test',
      PUBLIC_BASE_URL: 'https://irm.example.com',
      NODE_OPTIONS: '--enable-source-maps',
      TEMPLATES_DIR: '/var/task/templates',
    });
  });

  it.each(eachSpec)('gives %s the names of its tables only', (name, spec) => {
    const variables = (
      functionOf(name).Environment as { Variables: Record<string, unknown> }
    ).Variables;
    const tableVariables = Object.keys(variables).filter((key) =>
      key.endsWith('_TABLE'),
    );

    expect(tableVariables.sort()).toEqual(
      (Object.keys(spec.tables) as TableId[])
        .map((tableId) => TABLES[tableId].env)
        .sort(),
    );
  });

  it.each(eachSpec)('names every action of %s without a wildcard', (name) => {
    const actions = actionsOf(statementsOfFunction(template, name));

    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
  });

  it.each(eachSpec)(
    'allows %s exactly the table actions of its access levels',
    (name, spec) => {
      expect(tableActions(name)).toEqual(expectedTableActions(spec));
    },
  );

  it('never allows deleting, batch writing or scanning a table', () => {
    const actions = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
      .flatMap((statement: TemplateStatement) => asList(statement.Action));

    expect(actions).not.toContain('dynamodb:DeleteItem');
    expect(actions).not.toContain('dynamodb:BatchWriteItem');
    expect(actions).not.toContain('dynamodb:Scan');
  });

  it.each(eachSpec)(
    'uses a wildcard resource in %s only where IAM has no other',
    (name, spec) => {
      const wildcardActions = statementsOfFunction(template, name)
        .filter((statement) => statement.Resource === '*')
        .flatMap((statement) => asList(statement.Action));

      expect(wildcardActions.sort()).toEqual([
        ...(spec.streams?.length ? ['dynamodb:ListStreams'] : []),
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
    },
  );

  it.each(eachSpec)(
    'lets %s send email only when its entry says so',
    (name, spec) => {
      const actions = actionsOf(statementsOfFunction(template, name));
      const variables = JSON.stringify(functionOf(name).Environment);

      expect(actions.includes('ses:SendEmail')).toBe(spec.sendsEmail === true);
      expect(variables.includes('SES_CONFIGURATION_SET')).toBe(
        spec.sendsEmail === true,
      );
    },
  );

  it.each(eachSpec)('lets %s read only the secrets it names', (name, spec) => {
    const statements = statementsOfFunction(template, name).filter(
      (statement) =>
        actionsOf([statement]).includes('secretsmanager:GetSecretValue'),
    );
    const resources = JSON.stringify(statements.map((s) => s.Resource));

    expect(resources.includes('irm/test/servicenow-??????')).toBe(
      spec.secrets?.includes('servicenow') ?? false,
    );
    expect(resources.includes('SecretsAliasKey')).toBe(
      spec.secrets?.includes('alias') ?? false,
    );
  });

  it.each(eachSpec)(
    'lets %s call Step Functions only at its catalog levels',
    (name, spec) => {
      const statements = statementsOfFunction(template, name).filter(
        (statement) =>
          actionsOf([statement]).some((a) => a.startsWith('states:')),
      );
      const levels = spec.stepFunctions ?? [];

      expect(actionsOf(statements).includes('states:StartExecution')).toBe(
        levels.includes('start'),
      );
      expect(actionsOf(statements).includes('states:DescribeExecution')).toBe(
        levels.includes('read'),
      );
      expect(actionsOf(statements).includes('states:CreateStateMachine')).toBe(
        levels.includes('manage'),
      );
      for (const statement of statements) {
        for (const resource of asList(statement.Resource)) {
          expect(JSON.stringify(resource)).toMatch(
            /:(stateMachine|execution):irm-test-/,
          );
        }
      }
    },
  );

  it('gives functions that start flows the state machine ARN prefix', () => {
    const starters = specs.filter((spec) => spec.stepFunctions?.length);

    for (const spec of starters) {
      expect(JSON.stringify(functionOf(spec.name).Environment)).toContain(
        ':stateMachine:irm-test-',
      );
    }
  });
});
