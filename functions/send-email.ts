import { z } from 'zod';
import { actionHandler } from './domain/action.js';
import { optionalSetting, requiredSetting } from './domain/config.js';
import { type MailSettings, sendOrderedEmail } from './domain/email.js';
import { ConfigurationError } from './domain/errors.js';
import { AUDIENCES, EMAIL_TEMPLATES } from './domain/messages.js';
import { idSchema } from './domain/model.js';
import { assertIdentityMayBeRevealed } from './domain/privacy.js';
import { createRenderer } from './domain/rendering.js';

const publicBaseUrl = (): string => {
  const value = requiredSetting('PUBLIC_BASE_URL');
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url?.protocol !== 'https:' && url?.protocol !== 'http:') {
    throw new ConfigurationError('PUBLIC_BASE_URL must be an http(s) URL');
  }

  return value;
};

const settings: MailSettings = {
  sender: requiredSetting('SENDER_ADDRESS'),
  configurationSet: optionalSetting('SES_CONFIGURATION_SET', ''),
  publicBaseUrl: publicBaseUrl(),
  renderer: createRenderer(requiredSetting('TEMPLATES_DIR')),
};

const input = z.object({
  runId: idSchema,
  flowId: idSchema,
  flowVersion: z.string().min(1),
  startedBy: z.string().min(1),
  template: z.enum(EMAIL_TEMPLATES),
  messageKey: z.string().min(1).max(300),
  recipientUserId: idSchema.optional(),
  requestId: idSchema.optional(),
  audience: z.enum(AUDIENCES).optional(),
  userId: idSchema.optional(),
  policyId: idSchema.optional(),
  caseId: idSchema.optional(),
});

/**
 * Send email. Input: the run's ids, `template`, `messageKey`, and the ids
 * the template needs (`recipientUserId`, `requestId`, `userId`, `policyId`,
 * `caseId`). Output `{ messageKey, recipient, status, messageId?, sentAt }`
 * with `status` `sent`, `already-sent` (a retry: nothing was sent) or
 * `suppressed` (the address bounced before: nothing was sent). Throws
 * TransientError when SES is busy, and PrivacyStopError while
 * pseudonymisation is on.
 */
export const handler = actionHandler(input, async (order) => {
  // Every email names a person: none leaves while pseudonymisation is on.
  await assertIdentityMayBeRevealed();

  return sendOrderedEmail(order, settings);
});
