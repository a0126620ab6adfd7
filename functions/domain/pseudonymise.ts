import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients.js';
import { tableName } from './config.js';
import { call } from './db.js';
import {
  findUserIdsByAlias,
  getUser,
  getUsers,
  storeUserAlias,
} from './directory.js';
import { ConflictError, NotFoundError } from './errors.js';
import type { Case, User } from './model.js';
import {
  isPseudonymised,
  type Pseudonyms,
  parseAlias,
  pseudonymsFor,
} from './privacy.js';

/*
 * The one presentation layer of pseudonymisation. Answers (API bodies,
 * action outputs) are walked once: every person under a policy they name is
 * loaded with their manager, then user records become their alias view,
 * fields holding a user id become the alias, and free text has display
 * names, addresses and user ids replaced by aliases.
 *
 * Reviewers (a note's author, an audit event's actor, who started a run)
 * are not pseudonymised, as in Purview: only a reviewer who is also a
 * known user under a policy is replaced in those fields. Paging cursors
 * are left as they are: the API seals them.
 */

/** Keys whose string value is the id of a person under a policy. */
const SUBJECT_ID_KEYS: ReadonlySet<string> = new Set([
  'userId',
  'managerId',
  'recipientUserId',
]);

/** Keys whose subtree names the people working a case, not its subject. */
const REVIEWER_KEYS: ReadonlySet<string> = new Set(['actor', 'author']);

type Json = unknown;
type JsonObject = Record<string, unknown>;

const isObject = (value: Json): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const isUserRecord = (value: JsonObject): boolean =>
  typeof value.userId === 'string' && typeof value.displayName === 'string';

const isUserTarget = (value: JsonObject): boolean =>
  value.type === 'user' && typeof value.id === 'string';

/** A note a person wrote through the API: its text stays theirs. */
const isPersonNote = (value: JsonObject): boolean =>
  typeof value.noteKey === 'string' &&
  value.source === 'api' &&
  isObject(value.author) &&
  value.author.kind === 'person';

interface Mentions {
  readonly userIds: Set<string>;
  readonly caseIds: Set<string>;
}

const collect = (value: Json, mentions: Mentions, reviewer: boolean): void => {
  if (Array.isArray(value)) {
    for (const entry of value) collect(entry, mentions, reviewer);
    return;
  }
  if (!isObject(value)) return;
  // A note or a run names its case, whose user its text may mention.
  if (typeof value.caseId === 'string' && value.userId === undefined) {
    mentions.caseIds.add(value.caseId);
  }
  if (isUserTarget(value)) mentions.userIds.add(value.id as string);
  for (const [key, child] of Object.entries(value)) {
    if (!reviewer && SUBJECT_ID_KEYS.has(key) && typeof child === 'string') {
      mentions.userIds.add(child);
    }
    collect(child, mentions, reviewer || REVIEWER_KEYS.has(key));
  }
};

const batchGetCases = async (caseIds: readonly string[]): Promise<Case[]> => {
  const found: Case[] = [];
  for (let start = 0; start < caseIds.length; start += 100) {
    let keys = caseIds.slice(start, start + 100).map((caseId) => ({ caseId }));
    while (keys.length > 0) {
      const answer = await call(() =>
        dynamo.send(
          new BatchGetCommand({
            RequestItems: {
              [tableName('cases')]: {
                Keys: keys,
                ProjectionExpression: 'caseId, userId',
              },
            },
          }),
        ),
      );
      found.push(...((answer.Responses?.[tableName('cases')] ?? []) as Case[]));
      keys = (answer.UnprocessedKeys?.[tableName('cases')]?.Keys ??
        []) as typeof keys;
    }
  }

  return found;
};

/** The users an answer mentions, and their managers. */
const loadMentionedUsers = async (mentions: Mentions): Promise<User[]> => {
  const cases = await batchGetCases([...mentions.caseIds]);
  const userIds = new Set(mentions.userIds);
  for (const found of cases) userIds.add(found.userId);
  const users = await getUsers([...userIds]);
  const managerIds = [...users.values()]
    .map((user) => user.managerId)
    .filter((id): id is string => id !== undefined && !users.has(id));
  const managers = await getUsers(managerIds);

  return [...users.values(), ...managers.values()];
};

const present = (
  value: Json,
  pseudonyms: Pseudonyms,
  reviewer: boolean,
): Json => {
  if (typeof value === 'string') return pseudonyms.text(value);
  if (Array.isArray(value)) {
    return value.map((entry) => present(entry, pseudonyms, reviewer));
  }
  if (!isObject(value)) return value;
  if (isUserRecord(value)) return pseudonyms.user(value as unknown as User);
  if (isUserTarget(value)) {
    return { ...value, id: pseudonyms.alias(value.id as string) };
  }
  const personNote = isPersonNote(value);

  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => {
      if (personNote && key === 'text') return [key, child];
      if (key === 'nextCursor') return [key, child];
      if (!reviewer && SUBJECT_ID_KEYS.has(key) && typeof child === 'string') {
        return [key, pseudonyms.alias(child)];
      }

      return [
        key,
        present(child, pseudonyms, reviewer || REVIEWER_KEYS.has(key)),
      ];
    }),
  );
};

/** What presenting an answer found and produced. */
export interface Presented<T> {
  readonly value: T;
  /** The users the answer mentions, as stored. */
  readonly users: readonly User[];
  readonly pseudonyms: Pseudonyms;
}

/**
 * Shows an answer as a reviewer sees it while pseudonymisation is on. The
 * answer must be plain JSON (what an API body or a state output is).
 *
 * @example
 * const { value } = await pseudonymise({ case: found });
 */
export const pseudonymise = async <T>(answer: T): Promise<Presented<T>> => {
  const mentions: Mentions = { userIds: new Set(), caseIds: new Set() };
  collect(answer, mentions, false);
  const users = await loadMentionedUsers(mentions);
  const pseudonyms = await pseudonymsFor(users, [...mentions.userIds]);

  return {
    value: present(answer, pseudonyms, false) as T,
    users,
    pseudonyms,
  };
};

/**
 * Stores the alias of users written without one (by an import that had no
 * alias secret) or under an earlier secret, so that `byAlias` finds them.
 */
export const storeMissingAliases = async (
  users: readonly User[],
  pseudonyms: Pseudonyms,
): Promise<void> => {
  for (const user of users) {
    const alias = pseudonyms.alias(user.userId);
    if (user.alias !== alias) await storeUserAlias(user.userId, alias);
  }
};

/**
 * Pseudonyms for the users with these ids and their managers, to replace
 * identities in a text that names them (an error message, for example).
 */
export const pseudonymsForUsers = async (
  userIds: readonly string[],
): Promise<Pseudonyms> => {
  const users = await loadMentionedUsers({
    userIds: new Set(userIds),
    caseIds: new Set(),
  });

  return pseudonymsFor(users, userIds);
};

/**
 * An action's output as a flow may use it: while pseudonymisation is on,
 * users by alias, so that what a flow writes (a case note) names nobody.
 * The setting is read once, here.
 */
export const presentOutput = async <T>(output: T): Promise<T> =>
  (await isPseudonymised()) ? (await pseudonymise(output)).value : output;

/**
 * The user id behind what a flow step was given: the user whose alias it
 * is, or the text as it is when it is not shaped like an alias (runs carry
 * real ids).
 */
export const resolveUserId = async (sent: string): Promise<string> => {
  const alias = parseAlias(sent);
  if (alias === undefined) return sent;

  return userIdOfAlias(alias);
};

/**
 * The user id behind what a caller of the API sent while pseudonymisation
 * is on. Only an alias is accepted: a real user id answers 404 exactly as
 * an unknown user does, because answering it would pair the real id with
 * its alias and undo the pseudonymisation.
 */
export const userIdFromCaller = async (sent: string): Promise<string> => {
  const alias = parseAlias(sent);
  if (alias === undefined) throw new NotFoundError(`No user ${sent}`);

  return userIdOfAlias(alias);
};

/**
 * What a caller sent as an audit `target` while pseudonymisation is on: an
 * alias becomes its user id, a real user id answers 404 as an unknown user
 * (see userIdFromCaller), and any other id (a case, flow, run or setting)
 * is kept. That 404 still tells the caller the text is some user's id,
 * though never whose alias it has.
 */
export const auditTargetFromCaller = async (sent: string): Promise<string> => {
  if (parseAlias(sent) !== undefined) return userIdFromCaller(sent);
  if (await getUser(sent)) throw new NotFoundError(`No user ${sent}`);

  return sent;
};

const userIdOfAlias = async (alias: string): Promise<string> => {
  const [userId, ...others] = await findUserIdsByAlias(alias);
  if (userId === undefined) throw new NotFoundError(`No user ${alias}`);
  if (others.length > 0) {
    throw new ConflictError(
      `Alias ${alias} belongs to more than one user; an admin can turn ` +
        'pseudonymisation off to tell them apart',
    );
  }

  return userId;
};
