import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ALL_FUNCTIONS, type FunctionSpec } from '../../functions/catalog.js';
import type { DeployParameters } from '../../lib/parameters.js';
import { InsiderRiskStack } from '../../lib/stack.js';

/** Parameters of the stack under test. */
export const TEST_PARAMETERS: DeployParameters = {
  stage: 'test',
  senderAddress: 'irm@example.com',
  senderIdentity: 'address',
  publicBaseUrl: 'https://irm.example.com',
  allowedOrigins: ['https://irm.example.com', 'http://localhost:5173'],
  serviceNowSecretName: 'irm/test/servicenow',
  serviceNowInstanceUrl: 'https://example.service-now.com',
  alarmEmail: 'ops@example.com',
};

/** Context that skips bundling: the tests read the template, not code. */
export const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

/**
 * Points TMPDIR at a fresh folder under `.tmp/` for the cloud assemblies
 * that `Template.fromStack` writes, and returns the function that removes
 * it. Call it at the top of a test file; call the result in `afterAll`.
 */
export const useScratchTmpdir = (): (() => void) => {
  const parent = join(process.cwd(), '.tmp');
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'cdk-test-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir;

  return () => {
    process.env.TMPDIR = previous;
    rmSync(dir, { recursive: true, force: true });
  };
};

/** Catalog entries whose handler file exists: the functions the stack has. */
export const deployedSpecs = (): FunctionSpec[] =>
  ALL_FUNCTIONS.filter((spec) =>
    existsSync(join(process.cwd(), 'functions', `${spec.name}.ts`)),
  );

export interface SynthesisedStack {
  readonly app: App;
  readonly stack: InsiderRiskStack;
  readonly template: Template;
}

/** Builds the whole stack once, without bundling. */
export const synthesiseStack = (
  parameters: DeployParameters = TEST_PARAMETERS,
): SynthesisedStack => {
  const app = new App({ context: SKIP_BUNDLING });
  const stack = new InsiderRiskStack(app, 'irm-test', { parameters });

  return { app, stack, template: Template.fromStack(stack) };
};

/** A CloudFormation resource as the template holds it. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly DependsOn?: unknown;
}

/** An IAM policy statement as the template holds it. */
export interface TemplateStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, string>>;
}

export const asList = <T>(value: T | T[]): T[] =>
  Array.isArray(value) ? value : [value];

/** The logical id of the function with a given catalog name. */
export const functionLogicalId = (template: Template, name: string): string => {
  const found = Object.entries(
    template.findResources('AWS::Lambda::Function', {
      Properties: { FunctionName: `irm-test-${name}` },
    }),
  );
  if (found.length !== 1) throw new Error(`No single function ${name}`);

  return found[0]?.[0] ?? '';
};

/**
 * Every statement of the IAM policies attached to a role, including the
 * overflow managed policies CDK adds when an inline policy grows too large.
 */
export const statementsOfRole = (
  template: Template,
  roleLogicalId: string,
): TemplateStatement[] => {
  const policies = [
    ...Object.values(template.findResources('AWS::IAM::Policy')),
    ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')),
  ] as TemplateResource[];

  return policies
    .filter((policy) =>
      asList(policy.Properties.Roles as unknown[]).some(
        (role) => (role as { Ref?: string }).Ref === roleLogicalId,
      ),
    )
    .flatMap(
      (policy) =>
        (policy.Properties.PolicyDocument as { Statement: TemplateStatement[] })
          .Statement,
    );
};

/** Every statement of a function's role, by catalog name. */
export const statementsOfFunction = (
  template: Template,
  name: string,
): TemplateStatement[] => {
  const fn = template.toJSON().Resources[functionLogicalId(template, name)];
  const roleArn = fn.Properties.Role as { 'Fn::GetAtt': [string, string] };

  return statementsOfRole(template, roleArn['Fn::GetAtt'][0]);
};

/** The actions of a list of statements, flattened. */
export const actionsOf = (statements: readonly TemplateStatement[]) =>
  statements.flatMap((statement) => asList(statement.Action));
