import { randomUUID } from 'node:crypto';
import { SESv2ServiceException, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, ses } from './clients.js';
import { tableName } from './config.js';
import { call } from './db.js';
import { TransientError } from './errors.js';
import { logger } from './logger.js';
import { composeEmail, type EmailOrder } from './messages.js';
import {
  claimMessage,
  releaseClaim,
  type SendClaim,
  settleClaim,
} from './notifications.js';
import type { Renderer } from './rendering.js';

/*
 * One email per recipient per run, even when the step is retried: the
 * message's key (run id + message key) is claimed with a conditional write
 * before SES is called, and marked `sent` with SES's message id after.
 *
 * Limitation: if the function dies between SES accepting the message and
 * the `sent` write, the claim stays `sending`; a retry after
 * CLAIM_TAKEOVER_MS takes it over and sends a second copy, because SES
 * offers no way to ask whether a message went out.
 */

/** Where and how emails are sent; read once from the deployment. */
export interface MailSettings {
  readonly sender: string;
  /** SES configuration set; omitted from the call when empty. */
  readonly configurationSet?: string;
  readonly publicBaseUrl: string;
  readonly renderer: Renderer;
}

/** A rendered message for one recipient. */
export interface OutgoingEmail {
  readonly runId: string;
  readonly messageKey: string;
  readonly recipient: string;
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

export const DELIVERY_STATUSES = [
  'sent',
  'already-sent',
  'suppressed',
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** send-email's output: small, with neither body nor link. */
export interface DeliveryResult {
  readonly messageKey: string;
  readonly recipient: string;
  readonly status: DeliveryStatus;
  readonly messageId?: string;
  /** When it was sent; for a suppressed address, when that was decided. */
  readonly sentAt: string;
}

/** Composes, renders and sends the email an order asks for, once. */
export const sendOrderedEmail = async (
  order: EmailOrder,
  settings: MailSettings,
): Promise<DeliveryResult> => {
  const composed = await composeEmail(order, settings.publicBaseUrl);
  const parts = settings.renderer.email(composed.template, composed.view);

  return deliverOnce(
    {
      runId: order.runId,
      messageKey: order.messageKey,
      recipient: composed.recipient,
      subject: composed.subject,
      ...parts,
    },
    settings,
  );
};

/** True when another part recorded a bounce or complaint for the address. */
export const isSuppressed = async (email: string): Promise<boolean> => {
  const answer = await call(() =>
    dynamo.send(
      new GetCommand({
        TableName: tableName('settings'),
        Key: { settingId: `suppressed#${email.toLowerCase()}` },
      }),
    ),
  );

  return answer.Item !== undefined;
};

/**
 * Sends a message unless this run already sent it, or the address is
 * suppressed. SES throttling or a server error releases the claim and
 * throws TransientError, so that the state machine retries.
 */
export const deliverOnce = async (
  email: OutgoingEmail,
  settings: Pick<MailSettings, 'sender' | 'configurationSet'>,
  now: () => Date = () => new Date(),
): Promise<DeliveryResult> => {
  const claim = {
    runId: email.runId,
    messageKey: email.messageKey,
    recipient: email.recipient,
    claimId: randomUUID(),
    claimedAt: now().toISOString(),
  };
  const outcome = await claimMessage(claim);
  if (!outcome.claimed) return resultOfHeldClaim(outcome.holder, email);

  if (await isSuppressed(email.recipient)) {
    const sentAt = now().toISOString();
    await settleClaim(claim, { status: 'suppressed', sentAt });
    logger.info('Email suppressed', { messageKey: email.messageKey });

    return result(email, 'suppressed', sentAt);
  }

  const messageId = await sendThroughSes(email, settings, claim);
  const sentAt = now().toISOString();
  await settleClaim(claim, { status: 'sent', sentAt, messageId });
  logger.info('Email sent', { messageKey: email.messageKey, messageId });

  return result(email, 'sent', sentAt, messageId);
};

const result = (
  email: OutgoingEmail,
  status: DeliveryStatus,
  sentAt: string,
  messageId?: string,
): DeliveryResult => ({
  messageKey: email.messageKey,
  recipient: email.recipient,
  status,
  ...(messageId ? { messageId } : {}),
  sentAt,
});

const resultOfHeldClaim = (
  holder: SendClaim,
  email: OutgoingEmail,
): DeliveryResult => {
  if (holder.status === 'sending' || holder.status === 'released') {
    logger.warn('Email claimed by another attempt', {
      messageKey: email.messageKey,
    });
    throw new TransientError(
      'Another attempt is sending this email; try again later',
    );
  }
  logger.info('Email already handled', {
    messageKey: email.messageKey,
    status: holder.status,
  });
  const status = holder.status === 'sent' ? 'already-sent' : 'suppressed';

  return result(
    { ...email, recipient: holder.recipient },
    status,
    holder.sentAt ?? holder.claimedAt,
    holder.messageId,
  );
};

const sendThroughSes = async (
  email: OutgoingEmail,
  settings: Pick<MailSettings, 'sender' | 'configurationSet'>,
  claim: Pick<SendClaim, 'runId' | 'messageKey' | 'claimId'>,
): Promise<string> => {
  try {
    const answer = await ses.send(sendCommand(email, settings));

    return answer.MessageId ?? '';
  } catch (error) {
    if (!certainlyNotSent(error)) {
      logger.error('Email outcome unknown', sesFailure(error));
      throw new TransientError('The email service did not answer; retry', {
        cause: error,
      });
    }
    await releaseClaim(claim);
    if (isSesThrottle(error)) {
      logger.warn('Email service busy', sesFailure(error));
      throw new TransientError('The email service is busy; try again', {
        cause: error,
      });
    }
    logger.error('Email refused', sesFailure(error));
    throw error;
  }
};

/*
 * SES error messages can quote the recipient's address ("identities failed
 * the check: …"), so only the error's name and status are logged.
 */
const sesFailure = (error: unknown) => ({
  errorName: error instanceof Error ? error.name : typeof error,
  httpStatusCode:
    error instanceof SESv2ServiceException
      ? error.$metadata.httpStatusCode
      : undefined,
});

const sendCommand = (
  email: OutgoingEmail,
  settings: Pick<MailSettings, 'sender' | 'configurationSet'>,
) =>
  new SendEmailCommand({
    FromEmailAddress: settings.sender,
    Destination: { ToAddresses: [email.recipient] },
    Content: {
      Simple: {
        Subject: { Data: email.subject, Charset: 'UTF-8' },
        Body: {
          Html: { Data: email.html, Charset: 'UTF-8' },
          Text: { Data: email.text, Charset: 'UTF-8' },
        },
      },
    },
    ...(settings.configurationSet
      ? { ConfigurationSetName: settings.configurationSet }
      : {}),
  });

const THROTTLE_NAMES: ReadonlySet<string> = new Set([
  'TooManyRequestsException',
  'LimitExceededException',
]);

/** SES refused for now (throttling, sending quota, a server error). */
export const isSesThrottle = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  if (THROTTLE_NAMES.has(error.name)) return true;
  const status =
    error instanceof SESv2ServiceException
      ? (error.$metadata.httpStatusCode ?? 0)
      : 0;

  return status >= 500;
};

/** Connection errors that happen before a request reaches SES. */
const UNREACHED: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * True when SES answered with an error (so it did not take the message) or
 * could not be reached at all. A lost connection or a timeout leaves the
 * outcome unknown.
 */
const certainlyNotSent = (error: unknown): boolean => {
  if (error instanceof SESv2ServiceException) return true;
  if (isSesThrottle(error)) return true;
  const code = (error as { code?: unknown } | null)?.code;

  return typeof code === 'string' && UNREACHED.has(code);
};
