import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients.js';
import { tableName } from './config.js';
import { call, isConditionFailure } from './db.js';

/**
 * What SES publishes about a message that bounced or drew a complaint.
 * Event publishing names the kind `eventType`; identity notifications name
 * it `notificationType`. Both shapes are read.
 */
export interface SesEvent {
  readonly eventType?: string;
  readonly notificationType?: string;
  readonly bounce?: {
    readonly bounceType?: string;
    readonly bouncedRecipients?: readonly { readonly emailAddress?: string }[];
  };
  readonly complaint?: {
    readonly complainedRecipients?: readonly {
      readonly emailAddress?: string;
    }[];
  };
}

/**
 * The addresses an event says never to write to again: every address of a
 * permanent bounce and of a complaint. Transient bounces (a full mailbox)
 * suppress nothing.
 */
export const addressesToSuppress = (event: SesEvent): string[] => {
  const kind = event.eventType ?? event.notificationType;
  const recipients =
    kind === 'Bounce' && event.bounce?.bounceType === 'Permanent'
      ? (event.bounce.bouncedRecipients ?? [])
      : kind === 'Complaint'
        ? (event.complaint?.complainedRecipients ?? [])
        : [];

  return recipients
    .map((recipient) => recipient.emailAddress?.trim().toLowerCase() ?? '')
    .filter((address) => address.includes('@'));
};

/**
 * Records an address as suppressed, once: send-email checks this record
 * and skips the address, and the run says so.
 */
export const suppressAddress = async (
  address: string,
  reason: string,
  now: string,
): Promise<boolean> => {
  try {
    await call(() =>
      dynamo.send(
        new PutCommand({
          TableName: tableName('settings'),
          Item: {
            settingId: `suppressed#${address}`,
            reason,
            suppressedAt: now,
          },
          ConditionExpression: 'attribute_not_exists(settingId)',
        }),
      ),
    );

    return true;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;

    return false;
  }
};
