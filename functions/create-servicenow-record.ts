import { z } from 'zod';
import { actionHandler } from './domain/action.js';
import { requiredSetting } from './domain/config.js';
import { idSchema } from './domain/model.js';
import { aliasPresenter, isPseudonymised } from './domain/privacy.js';
import {
  createCaseRecord,
  serviceNowCredentials,
  serviceNowInstanceUrl,
} from './domain/servicenow.js';

const instanceUrl = serviceNowInstanceUrl(
  requiredSetting('SERVICENOW_INSTANCE_URL'),
);

const input = z.object({
  runId: idSchema,
  flowId: idSchema,
  flowVersion: idSchema,
  caseId: idSchema,
  startedBy: z.string().trim().min(1).max(320),
});

/**
 * Create a ServiceNow record for the case. Input `{ runId, flowId,
 * flowVersion, caseId, startedBy }`; output `{ number, sysId, link, created }`.
 * A retried step finds the record by correlation id and answers
 * `created: false`. Errors: ServiceNowAuthError (401/403), ServiceNowError
 * (other 4xx), TransientError (429 too long, 5xx, network, timeout),
 * InvalidInputError (a mapping that is not plain values). While
 * pseudonymisation is on, the record names the user by alias only.
 */
export const handler = actionHandler(input, async (request) => {
  const credentials = await serviceNowCredentials();
  const presentUser = (await isPseudonymised())
    ? await aliasPresenter()
    : undefined;

  return createCaseRecord(request, { instanceUrl, credentials }, presentUser);
});
