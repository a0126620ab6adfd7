import { z } from 'zod';
import { actionHandler } from './domain/action.js';
import { requireAlert } from './domain/cases.js';
import { idSchema } from './domain/model.js';
import { presentOutput } from './domain/pseudonymise.js';

const input = z.object({ alertId: idSchema });

/**
 * Get alert. Input `{ alertId }`; output `{ alert }`, its user by alias
 * while pseudonymisation is on.
 */
export const handler = actionHandler(input, async ({ alertId }) =>
  presentOutput({ alert: await requireAlert(alertId) }),
);
