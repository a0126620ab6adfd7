import { Aws } from 'aws-cdk-lib';
import { stateMachineName, TEMPLATE_MACHINES } from '../functions/catalog.js';

/**
 * An ARN with a wildcard, with the reason it cannot be narrower. `finding`
 * is the ARN as cdk-nag prints it, so the grant can acknowledge exactly the
 * finding it causes and nothing else.
 */
export interface ArnPattern {
  readonly arn: string;
  readonly finding: string;
  readonly reason: string;
}

/** An ARN in this stack's account and region. */
export const arnOf = (service: string, resource: string): string =>
  `arn:${Aws.PARTITION}:${service}:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;

const patternOf = (
  service: string,
  resource: string,
  reason: string,
): ArnPattern => ({
  arn: arnOf(service, resource),
  finding: `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${resource}`,
  reason,
});

/** Prefix of every state machine of a stage: `…:stateMachine:irm-<stage>-`. */
export const stateMachineArnPrefix = (stage: string): string =>
  arnOf('states', `stateMachine:irm-${stage}-`);

/** Prefix of every function of a stage: `…:function:irm-<stage>-`. */
export const functionArnPrefix = (stage: string): string =>
  arnOf('lambda', `function:irm-${stage}-`);

/** Name prefix of the state machines the API creates for custom flows. */
export const customFlowPrefix = (stage: string): string =>
  `irm-${stage}-custom-`;

/** The template state machines of a stage, by exact ARN. */
export const templateMachineArns = (stage: string): string[] =>
  TEMPLATE_MACHINES.map(({ templateId }) =>
    arnOf('states', `stateMachine:${stateMachineName(stage, templateId)}`),
  );

/** Every custom-flow state machine of a stage. */
export const customMachinesPattern = (stage: string): ArnPattern =>
  patternOf(
    'states',
    `stateMachine:${customFlowPrefix(stage)}*`,
    'Custom flows are state machines the API creates while running, so ' +
      'they can only be named by the prefix the API gives them.',
  );

/** The runs of every state machine of a stage, one pattern per machine. */
export const executionPatterns = (stage: string): ArnPattern[] => [
  ...TEMPLATE_MACHINES.map(({ templateId }) =>
    patternOf(
      'states',
      `execution:${stateMachineName(stage, templateId)}:*`,
      'A run is named when it starts, so runs can only be named by the ' +
        'state machine they belong to, here one of this stack.',
    ),
  ),
  patternOf(
    'states',
    `execution:${customFlowPrefix(stage)}*`,
    'Runs of custom flows belong to state machines created while the API ' +
      'runs, named only by the custom-flow prefix of this stage.',
  ),
];
