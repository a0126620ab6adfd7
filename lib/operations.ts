import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface OperationsProps {
  /** Deployment name, part of every resource name. */
  readonly stage: string;
  /** Address that receives the alarms; none when omitted. */
  readonly alarmEmail?: string;
}

/** Services that publish to the stack's encrypted topics. */
const TOPIC_PUBLISHERS = ['cloudwatch.amazonaws.com', 'ses.amazonaws.com'];

/**
 * What the operators watch: the alarm topic, the queues that keep failed
 * deliveries, and the key that encrypts the topics and the delivery queue.
 */
export class Operations extends Construct {
  /** Encrypts the SNS topics (alarms, email events) and `undelivered`. */
  readonly topicKey: Key;
  /** Every alarm of the stack notifies this topic. */
  readonly alarmTopic: Topic;
  /** Dead-letter queue of every function's asynchronous invocations. */
  readonly failedInvocations: Queue;
  /** Dead-letter queue of every SNS subscription. */
  readonly undelivered: Queue;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);

    this.topicKey = new Key(this, 'TopicKey', {
      description: `irm-${props.stage}: SNS topics and their dead letters`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.allowServicesToUseKey();

    this.failedInvocations = this.createDeadLetterQueue(
      'FailedInvocations',
      `irm-${props.stage}-failed-invocations`,
    );
    // SNS writes only to a queue encrypted with a key that lets it.
    this.undelivered = this.createDeadLetterQueue(
      'Undelivered',
      `irm-${props.stage}-undelivered`,
      this.topicKey,
    );
    Validations.of(this.undelivered).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue of the SNS subscriptions, named ' +
        'in their redrive policy, which the rule does not look at.',
    });

    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      topicName: `irm-${props.stage}-alarms`,
      displayName: `Insider risk flows (${props.stage}) alarms`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    if (props.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(
        new EmailSubscription(props.alarmEmail, {
          deadLetterQueue: this.undelivered,
        }),
      );
    }

    this.alarmWhenNotEmpty(
      this.failedInvocations,
      'FailedInvocationsAlarm',
      `irm-${props.stage}-failed-invocations-not-empty`,
    );
    this.alarmWhenNotEmpty(
      this.undelivered,
      'UndeliveredAlarm',
      `irm-${props.stage}-undelivered-not-empty`,
    );
  }

  /** Sends the alarm's state changes to the alarm topic. */
  notify(alarm: Alarm): void {
    alarm.addAlarmAction(new SnsAction(this.alarmTopic));
    alarm.addOkAction(new SnsAction(this.alarmTopic));
  }

  private allowServicesToUseKey(): void {
    this.topicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'PublishToEncryptedTopics',
        principals: [
          ...TOPIC_PUBLISHERS.map((service) => new ServicePrincipal(service)),
          new ServicePrincipal('sns.amazonaws.com'),
        ],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      }),
    );
  }

  private createDeadLetterQueue(
    id: string,
    queueName: string,
    key?: Key,
  ): Queue {
    const queue = new Queue(this, id, {
      queueName,
      retentionPeriod: Duration.days(14),
      encryption: key ? QueueEncryption.KMS : QueueEncryption.SQS_MANAGED,
      encryptionMasterKey: key,
      enforceSSL: true,
    });
    Validations.of(queue).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'This queue is itself a dead-letter queue: its messages wait for an ' +
        'operator, and a further queue behind it would add nothing.',
    });

    return queue;
  }

  private alarmWhenNotEmpty(queue: Queue, id: string, alarmName: string): void {
    const alarm = new Alarm(this, id, {
      alarmName,
      alarmDescription: 'The dead-letter queue holds messages that failed',
      metric: queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.notify(alarm);
  }
}
