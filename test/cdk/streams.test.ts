import { afterAll, describe, expect, it } from '@jest/globals';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { TableId } from '../../functions/domain/tables.js';
import { ActionFunctions } from '../../lib/actions.js';
import { DataTables } from '../../lib/data.js';
import { CustomFlowRole } from '../../lib/flows.js';
import { Mail } from '../../lib/mail.js';
import { Operations } from '../../lib/operations.js';
import { FlowSecrets } from '../../lib/secrets.js';
import { SKIP_BUNDLING, useScratchTmpdir } from './stack-fixture.js';

const cleanTmpdir = useScratchTmpdir();
afterAll(cleanTmpdir);

/** One function, `get-case`'s handler, reading the given table streams. */
const buildReader = (streams: TableId[]) => {
  const stack = new Stack(new App({ context: SKIP_BUNDLING }), 'Streams');
  const operations = new Operations(stack, 'Operations', { stage: 'test' });
  new ActionFunctions(stack, 'Functions', {
    stage: 'test',
    tables: new DataTables(stack, 'Data', { stage: 'test' }).tables,
    mail: new Mail(stack, 'Mail', {
      stage: 'test',
      senderAddress: 'irm@example.com',
      senderIdentity: 'address',
      topicKey: operations.topicKey,
      undelivered: operations.undelivered,
    }),
    secrets: new FlowSecrets(stack, 'Secrets', {
      stage: 'test',
      serviceNowSecretName: 'irm/test/servicenow',
    }),
    customFlowRole: new CustomFlowRole(stack, 'CustomFlows').role,
    failedInvocations: operations.failedInvocations,
    publicBaseUrl: 'https://irm.example.com',
    serviceNowInstanceUrl: 'https://example.service-now.com',
    specs: [
      {
        name: 'get-case',
        description: 'Reads changes',
        tables: { alerts: 'read' },
        streams,
      },
    ],
  });

  return stack;
};

describe('ActionFunctions with table streams', () => {
  it('invokes the function with each stream it names', () => {
    const template = Template.fromStack(
      buildReader(['alerts', 'policyMembers']),
    );

    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'LATEST',
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 5,
    });
  });

  it('keeps the records it could not handle in the failed queue', () => {
    const template = Template.fromStack(buildReader(['alerts']));
    const [mapping] = Object.values(
      template.findResources('AWS::Lambda::EventSourceMapping'),
    );

    expect(JSON.stringify(mapping?.Properties.DestinationConfig)).toContain(
      'OperationsFailedInvocations',
    );
  });

  it('refuses a stream the data model does not give its table', () => {
    expect(() => buildReader(['cases'])).toThrow(
      'get-case reads the stream of cases, which has none',
    );
  });
});
