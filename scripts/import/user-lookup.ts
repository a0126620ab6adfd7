import { listUsers } from '../../functions/domain/directory.js';
import type { User } from '../../functions/domain/model.js';

/** Finds stored users by user id or email/UPN, ignoring case. */
export interface UserLookup {
  find(refs: readonly string[]): User | undefined;
}

const PAGE_SIZE = 1000;

/**
 * Reads the whole directory once, page by page through the users index,
 * since no index finds a user by email. A directory of 10,000 users takes
 * a few megabytes.
 */
export const loadUserLookup = async (): Promise<UserLookup> => {
  const byId = new Map<string, User>();
  const byEmail = new Map<string, User>();
  let cursor: string | undefined;
  do {
    const page = await listUsers(PAGE_SIZE, cursor);
    for (const user of page.items) {
      byId.set(user.userId.toLowerCase(), user);
      byEmail.set(user.email.toLowerCase(), user);
    }
    cursor = page.nextCursor;
  } while (cursor);

  return {
    find: (refs) => {
      for (const ref of refs) {
        const key = ref.toLowerCase();
        const user = byId.get(key) ?? byEmail.get(key);
        if (user) return user;
      }

      return undefined;
    },
  };
};
