import { afterAll, describe, expect, it } from '@jest/globals';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { FunctionSpec } from '../../functions/catalog.js';
import { allowFlowControl } from '../../lib/permissions.js';
import {
  actionsOf,
  asList,
  type TemplateStatement,
  useScratchTmpdir,
} from './stack-fixture.js';

const cleanTmpdir = useScratchTmpdir();
afterAll(cleanTmpdir);

const CUSTOM_FLOW_ROLE = 'arn:aws:iam::111122223333:role/custom-flows';

/** The statements a role gets for a catalog entry's Step Functions levels. */
const flowControlOf = (levels: FunctionSpec['stepFunctions']) => {
  const stack = new Stack(new App(), 'Permissions');
  const role = new Role(stack, 'Role', {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
  });
  allowFlowControl(
    role,
    { name: 'flows', description: 'Flows', tables: {}, stepFunctions: levels },
    { stage: 'test', customFlowRoleArn: CUSTOM_FLOW_ROLE },
  );
  const [policy] = Object.values(
    Template.fromStack(stack).findResources('AWS::IAM::Policy'),
  );

  return (policy?.Properties.PolicyDocument.Statement ??
    []) as TemplateStatement[];
};

const resourcesOf = (statements: TemplateStatement[], action: string) =>
  statements
    .filter((statement) => asList(statement.Action).includes(action))
    .flatMap((statement) => asList(statement.Resource))
    .map((resource) => JSON.stringify(resource));

describe('allowFlowControl', () => {
  it('grants nothing to a function without Step Functions levels', () => {
    expect(flowControlOf(undefined)).toEqual([]);
  });

  it('starts only the template machines and custom flows of the stage', () => {
    const resources = resourcesOf(
      flowControlOf(['start']),
      'states:StartExecution',
    );

    const machines = [
      'notify-users',
      'request-info',
      'notify-manager',
      'servicenow-record',
      'custom-\\*',
    ].join('|');
    const machine = new RegExp(`:stateMachine:irm-test-(${machines})"`);

    expect(resources).toHaveLength(5);
    for (const resource of resources) {
      expect(resource).toMatch(machine);
    }
  });

  it('reads runs without being able to start or change them', () => {
    const actions = actionsOf(flowControlOf(['read']));

    expect(actions.sort()).toEqual([
      'states:DescribeExecution',
      'states:DescribeStateMachine',
      'states:GetExecutionHistory',
      'states:ListExecutions',
    ]);
  });

  it('manages only state machines named with the custom-flow prefix', () => {
    const statements = flowControlOf(['manage']);

    for (const action of [
      'states:CreateStateMachine',
      'states:UpdateStateMachine',
      'states:DeleteStateMachine',
    ]) {
      const resources = resourcesOf(statements, action);
      expect(resources).toHaveLength(1);
      expect(resources[0]).toContain(':stateMachine:irm-test-custom-*');
    }
  });

  it('passes only the custom-flow role, and only to Step Functions', () => {
    const passing = flowControlOf(['manage']).filter((statement) =>
      asList(statement.Action).includes('iam:PassRole'),
    );

    expect(passing).toEqual([
      expect.objectContaining({
        Action: 'iam:PassRole',
        Resource: CUSTOM_FLOW_ROLE,
        Condition: {
          StringEquals: { 'iam:PassedToService': 'states.amazonaws.com' },
        },
      }),
    ]);
  });
});
