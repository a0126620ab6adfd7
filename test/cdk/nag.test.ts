import { afterAll, describe, expect, it } from '@jest/globals';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { synthesiseStack, useScratchTmpdir } from './stack-fixture.js';

const cleanTmpdir = useScratchTmpdir();
afterAll(cleanTmpdir);

const { stack } = synthesiseStack();

/** Every acknowledgement recorded in the stack, with where it was made. */
const acknowledgements = () =>
  stack.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter(
        (entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY,
      )
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(
          ([id, reason]) => ({
            path: construct.node.path,
            id: id.replace(/^annotation::/i, ''),
            reason,
          }),
        ),
      ),
  );

describe('cdk-nag', () => {
  it.each([
    ['AwsSolutions', new AwsSolutionsChecks()],
    ['Serverless', new ServerlessChecks()],
  ])('finds nothing unacknowledged in the %s pack', (_pack, checks) => {
    const report = checks.validateScope(stack);
    const findings = report.violations.flatMap((violation) =>
      violation.violatingResources.map(
        (resource) => `${violation.ruleName} at ${resource.constructPath}`,
      ),
    );

    expect(findings).toEqual([]);
  });

  it('names the finding of every acknowledgement', () => {
    const ids = acknowledgements().map((ack) => ack.id);

    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      expect(id).toMatch(/^(AwsSolutions|Serverless)-[A-Za-z0-9]+(\[.+\])?$/);
    }
  });

  it('gives every acknowledgement its reason in a sentence', () => {
    for (const { reason } of acknowledgements()) {
      expect(reason).toMatch(/^[A-Z][\s\S]{40,}\.$/);
    }
  });

  it('acknowledges wildcard resources one finding at a time', () => {
    const wildcards = acknowledgements().filter((ack) =>
      ack.id.startsWith('AwsSolutions-IAM5'),
    );

    for (const { id } of wildcards) {
      expect(id).toMatch(/^AwsSolutions-IAM5\[Resource::[^\]]+\]$/);
    }
  });
});
