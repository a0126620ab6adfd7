import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  ConfigurationSet,
  ConfigurationSetTlsPolicy,
  EmailIdentity,
  EmailSendingEvent,
  EventDestination,
  Identity,
  SuppressionReasons,
} from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface MailProps {
  /** Deployment name, part of the configuration set's name. */
  readonly stage: string;
  /** From address of every email. */
  readonly senderAddress: string;
  /** Verify the sender `address` alone or its whole `domain`. */
  readonly senderIdentity: 'address' | 'domain';
  /** Encrypts the email event topic. */
  readonly topicKey: IKey;
  /** Keeps the email events that could not reach their handler. */
  readonly undelivered: IQueue;
}

/**
 * Sending email through SES: the verified sender identity and the
 * configuration set every message is sent with. Bounces and complaints
 * reach the handler that records suppressed addresses once it exists.
 */
export class Mail extends Construct {
  /** From address of every email. */
  readonly senderAddress: string;
  /** Name given to SendEmail as `ConfigurationSetName`. */
  readonly configurationSetName: string;
  /** Resources `ses:SendEmail` is allowed on: identity and configuration set. */
  readonly sendResources: readonly string[];
  /** The verified identity (its DKIM records when it is a domain). */
  readonly identity: EmailIdentity;

  private readonly configurationSet: ConfigurationSet;
  private readonly props: MailProps;

  constructor(scope: Construct, id: string, props: MailProps) {
    super(scope, id);
    this.props = props;
    this.senderAddress = props.senderAddress;

    this.configurationSetName = `irm-${props.stage}`;
    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: this.configurationSetName,
      tlsPolicy: ConfigurationSetTlsPolicy.REQUIRE,
      reputationMetrics: true,
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });

    const domain = props.senderAddress.split('@')[1] ?? props.senderAddress;
    this.identity = new EmailIdentity(this, 'Sender', {
      identity:
        props.senderIdentity === 'domain'
          ? Identity.domain(domain)
          : Identity.email(props.senderAddress),
      configurationSet: this.configurationSet,
    });
    if (props.senderIdentity === 'domain') {
      this.identity.dkimRecords.forEach((record, index) => {
        new CfnOutput(this, `DkimRecord${index + 1}`, {
          description: 'CNAME record to publish for the sender domain',
          value: `${record.name} CNAME ${record.value}`,
        });
      });
    }

    this.sendResources = [
      this.identity.emailIdentityArn,
      Stack.of(this).formatArn({
        service: 'ses',
        resource: 'configuration-set',
        resourceName: this.configurationSetName,
      }),
    ];
  }

  /** Sends bounce and complaint events to the given function. */
  deliverEventsTo(handler: IFunction): void {
    const topic = new Topic(this, 'EventTopic', {
      topicName: `irm-${this.props.stage}-email-events`,
      masterKey: this.props.topicKey,
      enforceSSL: true,
    });
    this.configurationSet.addEventDestination('BouncesAndComplaints', {
      destination: EventDestination.snsTopic(topic),
      events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
    });
    topic.addSubscription(
      new LambdaSubscription(handler, {
        deadLetterQueue: this.props.undelivered,
      }),
    );
  }
}
