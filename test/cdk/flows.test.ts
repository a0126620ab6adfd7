import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  ALL_FUNCTIONS,
  stateMachineName,
  substitutionName,
  TEMPLATE_MACHINES,
} from '../../functions/catalog.js';
import {
  readTemplateDefinition,
  TemplateDefinitionError,
} from '../../lib/definitions.js';
import {
  asList,
  deployedSpecs,
  functionLogicalId,
  statementsOfRole,
  synthesiseStack,
  useScratchTmpdir,
} from './stack-fixture.js';

const cleanTmpdir = useScratchTmpdir();
afterAll(cleanTmpdir);

const { template } = synthesiseStack();
const machines = TEMPLATE_MACHINES.map((m) => [m.templateId, m] as const);

const machineNamed = (templateId: string) => {
  const found = Object.entries(
    template.findResources('AWS::StepFunctions::StateMachine', {
      Properties: { StateMachineName: stateMachineName('test', templateId) },
    }),
  );
  const [logicalId, machine] = found[0] ?? [];
  if (logicalId === undefined || machine === undefined) {
    throw new Error(`No state machine for ${templateId}`);
  }

  return { logicalId, properties: machine.Properties };
};

/** Catalog names of the functions an ASL file calls, read from the file. */
const calledBy = (file: string): string[] => {
  const body = readFileSync(join('statemachines', file), 'utf8');

  return ALL_FUNCTIONS.filter((spec) =>
    body.includes(`\${${substitutionName(spec.name)}}`),
  )
    .map((spec) => spec.name)
    .sort();
};

const invokedBy = (roleLogicalId: string): string[] =>
  statementsOfRole(template, roleLogicalId)
    .filter((statement) =>
      asList(statement.Action).includes('lambda:InvokeFunction'),
    )
    .flatMap((statement) => asList(statement.Resource))
    .map((resource) => JSON.stringify(resource))
    .sort();

const arnsOf = (names: readonly string[]) =>
  names
    .map((name) =>
      JSON.stringify({
        'Fn::GetAtt': [functionLogicalId(template, name), 'Arn'],
      }),
    )
    .sort();

describe('TemplateFlows', () => {
  it('creates one Standard state machine per template', () => {
    template.resourceCountIs(
      'AWS::StepFunctions::StateMachine',
      TEMPLATE_MACHINES.length,
    );
    for (const [templateId] of machines) {
      expect(machineNamed(templateId).properties.StateMachineType).toBe(
        'STANDARD',
      );
    }
  });

  it.each(machines)('substitutes every function ARN into %s', (templateId) => {
    const { properties } = machineNamed(templateId);

    expect(Object.keys(properties.DefinitionSubstitutions).sort()).toEqual(
      deployedSpecs()
        .map((spec) => substitutionName(spec.name))
        .sort(),
    );
  });

  it.each(machines)(
    'lets %s invoke exactly the functions its definition calls',
    (templateId, { file }) => {
      const { properties } = machineNamed(templateId);
      const role = properties.RoleArn['Fn::GetAtt'][0] as string;

      expect(invokedBy(role)).toEqual(arnsOf(calledBy(file)));
    },
  );

  it.each(machines)('logs every event of %s for 90 days', (templateId) => {
    const { properties } = machineNamed(templateId);

    expect(properties.LoggingConfiguration).toMatchObject({
      Level: 'ALL',
      IncludeExecutionData: false,
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/vendedlogs/states/irm-test-${templateId}`,
      RetentionInDays: 90,
    });
  });

  it.each(machines)('traces %s with X-Ray', (templateId) => {
    expect(machineNamed(templateId).properties.TracingConfiguration).toEqual({
      Enabled: true,
    });
  });

  it.each(machines)(
    'alarms on failed and timed-out runs of %s to the ops topic',
    (templateId) => {
      const { logicalId } = machineNamed(templateId);
      const [alarmTopicId] = Object.keys(
        template.findResources('AWS::SNS::Topic', {
          Properties: { TopicName: 'irm-test-alarms' },
        }),
      );

      for (const [metric, suffix] of [
        ['ExecutionsFailed', 'failed'],
        ['ExecutionsTimedOut', 'timed-out'],
      ]) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `irm-test-${templateId}-${suffix}`,
          MetricName: metric,
          Namespace: 'AWS/States',
          Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId } }],
          Threshold: 1,
          AlarmActions: [{ Ref: alarmTopicId }],
        });
      }
    },
  );
});

describe('CustomFlowRole', () => {
  it('lets custom flows invoke only the short-named actions and the outcome recorder', () => {
    const [roleId] = Object.keys(
      template.findResources('AWS::IAM::Role', {
        Properties: {
          Description:
            'Runs custom flows: invokes only the custom-flow actions',
        },
      }),
    );
    const reachable = deployedSpecs()
      .filter(
        (spec) =>
          spec.shortName !== undefined || spec.name === 'record-run-outcome',
      )
      .map((spec) => spec.name);

    expect(invokedBy(roleId ?? '')).toEqual(arnsOf(reachable));
  });
});

describe('readTemplateDefinition', () => {
  const dir = mkdtempSync(join(process.env.TMPDIR ?? '.tmp', 'asl-'));
  const write = (file: string, resource: string) =>
    writeFileSync(
      join(dir, file),
      JSON.stringify({
        StartAt: 'A',
        States: { A: { Type: 'Task', Resource: resource, End: true } },
      }),
    );

  it('finds the catalog functions a definition calls', () => {
    write('called.asl.json', `\${GetCaseFunctionArn}`);

    expect(
      readTemplateDefinition(dir, 'called.asl.json').functionNames,
    ).toEqual(['get-case']);
  });

  it('rejects a substitution that names no catalog function', () => {
    write('unknown.asl.json', `\${GetKittenFunctionArn}`);

    expect(() => readTemplateDefinition(dir, 'unknown.asl.json')).toThrow(
      new TemplateDefinitionError(
        `unknown.asl.json uses \${GetKittenFunctionArn}, which is no function of the catalog`,
      ),
    );
  });

  it('names the file it cannot read', () => {
    expect(() => readTemplateDefinition(dir, 'missing.asl.json')).toThrow(
      /Cannot read the state machine definition .*missing\.asl\.json/,
    );
  });
});
