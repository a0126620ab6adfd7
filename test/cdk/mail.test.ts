import { afterAll, describe, expect, it } from '@jest/globals';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  Code,
  Function as LambdaFunction,
  Runtime,
} from 'aws-cdk-lib/aws-lambda';
import { Mail } from '../../lib/mail.js';
import { Operations } from '../../lib/operations.js';
import {
  functionLogicalId,
  synthesiseStack,
  useScratchTmpdir,
} from './stack-fixture.js';

const cleanTmpdir = useScratchTmpdir();
afterAll(cleanTmpdir);

const buildMail = (senderIdentity: 'address' | 'domain') => {
  const stack = new Stack(new App(), 'Mail');
  const operations = new Operations(stack, 'Operations', { stage: 'test' });
  const mail = new Mail(stack, 'Mail', {
    stage: 'test',
    senderAddress: 'irm@contoso.com',
    senderIdentity,
    topicKey: operations.topicKey,
    undelivered: operations.undelivered,
  });

  return { stack, mail };
};

describe('Mail', () => {
  it('verifies the sender address alone by default', () => {
    const { stack } = buildMail('address');

    Template.fromStack(stack).hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'irm@contoso.com',
    });
  });

  it('verifies the whole domain and prints its DKIM records', () => {
    const { stack } = buildMail('domain');
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'contoso.com',
    });
    expect(Object.keys(template.findOutputs('*'))).toHaveLength(3);
  });

  it('sends bounces and complaints to the email events function', () => {
    const { stack, mail } = buildMail('address');
    const handler = new LambdaFunction(stack, 'SesEvents', {
      runtime: Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: Code.fromInline('export const handler = async () => {};'),
    });

    mail.deliverEventsTo(handler);

    const template = Template.fromStack(stack);
    template.hasResourceProperties(
      'AWS::SES::ConfigurationSetEventDestination',
      {
        EventDestination: {
          MatchingEventTypes: ['bounce', 'complaint'],
          SnsDestination: { TopicARN: { Ref: Match.anyValue() } },
        },
      },
    );
    const [subscription] = Object.values(
      template.findResources('AWS::SNS::Subscription', {
        Properties: { Protocol: 'lambda' },
      }),
    );
    expect(JSON.stringify(subscription?.Properties.RedrivePolicy)).toContain(
      'OperationsUndelivered',
    );
    template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'irm-test-email-events',
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
    });
  });
});

describe('Operations', () => {
  it('alarms when a dead-letter queue holds a message', () => {
    const { stack } = buildMail('address');
    const template = Template.fromStack(stack);

    for (const queue of ['failed-invocations', 'undelivered']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `irm-test-${queue}-not-empty`,
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 1,
      });
    }
  });
});

describe('the whole stack', () => {
  it('delivers bounce and complaint events to the ses-events function', () => {
    const { template } = synthesiseStack();
    const handler = functionLogicalId(template, 'ses-events');

    const subscriptions = Object.values(
      template.findResources('AWS::SNS::Subscription', {
        Properties: { Protocol: 'lambda' },
      }),
    );

    expect(
      subscriptions.some((subscription) =>
        JSON.stringify(subscription.Properties.Endpoint).includes(handler),
      ),
    ).toBe(true);
  });
});
