import { z } from 'zod';
import { actionHandler } from './domain/action.js';
import { getUser, requireUser } from './domain/directory.js';
import { idSchema } from './domain/model.js';

const input = z.object({ userId: idSchema });

/**
 * Get user. Input `{ userId }`; output `{ user, manager }` where `manager`
 * is the resolved manager record, or null when the user has none.
 */
export const handler = actionHandler(input, async ({ userId }) => {
  const user = await requireUser(userId);
  const manager = user.managerId ? await getUser(user.managerId) : undefined;

  return { user, manager: manager ?? null };
});
