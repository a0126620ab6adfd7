import { z } from 'zod';
import { actionHandler } from './domain/action.js';
import { getUser, requireUser } from './domain/directory.js';
import { idSchema } from './domain/model.js';
import { presentOutput, resolveUserId } from './domain/pseudonymise.js';

const input = z.object({ userId: idSchema });

/**
 * Get user. Input `{ userId }` (a user id or an alias); output
 * `{ user, manager }` where `manager` is the resolved manager record, or
 * null when the user has none. While pseudonymisation is on, both are
 * shown by alias.
 */
export const handler = actionHandler(input, async (request) => {
  const user = await requireUser(await resolveUserId(request.userId));
  const manager = user.managerId ? await getUser(user.managerId) : undefined;

  return presentOutput({ user, manager: manager ?? null });
});
