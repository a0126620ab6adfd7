import { createHmac } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { auditActor, recordAudit } from './audit.js';
import { dynamo } from './clients.js';
import { tableName } from './config.js';
import { call } from './db.js';
import { PrivacyStopError } from './errors.js';
import type { Actor, User } from './model.js';
import { derivedKey } from './secrets.js';

/*
 * Pseudonymisation: while the setting is on, people under policies are
 * shown by an alias, a keyed hash of their user id. The key is derived from
 * the deployment secret, so the same user always gets the same alias and
 * nobody without the secret can tell whose alias it is.
 */

/** The privacy setting, as the API shows it. */
export interface PrivacySetting {
  readonly pseudonymise: boolean;
  /** When it was last changed; null while it has its default. */
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
}

const SETTING_ID = 'privacy';

/** Pseudonymisation is on until someone turns it off. */
export const DEFAULT_PRIVACY: PrivacySetting = {
  pseudonymise: true,
  updatedAt: null,
  updatedBy: null,
};

const settingOf = (item: Record<string, unknown> | undefined) =>
  item === undefined
    ? DEFAULT_PRIVACY
    : {
        pseudonymise: item.pseudonymise !== false,
        updatedAt: (item.updatedAt as string | undefined) ?? null,
        updatedBy: (item.updatedBy as string | undefined) ?? null,
      };

/**
 * Reads the setting: one strongly consistent GetItem, so that a flow
 * started right after the setting was turned on sees it on. Callers read
 * it once per invocation and pass the answer on.
 */
export const readPrivacySetting = async (): Promise<PrivacySetting> => {
  const answer = await call(() =>
    dynamo.send(
      new GetCommand({
        TableName: tableName('settings'),
        Key: { settingId: SETTING_ID },
        ConsistentRead: true,
      }),
    ),
  );

  return settingOf(answer.Item);
};

/** True while users are shown by alias (the default). */
export const isPseudonymised = async (): Promise<boolean> =>
  (await readPrivacySetting()).pseudonymise;

/**
 * Turns pseudonymisation on or off and audits the change, with the value
 * before and after. Asking for the value it already has changes nothing
 * and records nothing.
 */
export const changePrivacySetting = async (
  pseudonymise: boolean,
  actor: Actor,
  now: string,
): Promise<{ setting: PrivacySetting; changed: boolean }> => {
  const current = await readPrivacySetting();
  if (current.pseudonymise === pseudonymise) {
    return { setting: current, changed: false };
  }
  const setting = { pseudonymise, updatedAt: now, updatedBy: actor.userId };
  const answer = await call(() =>
    dynamo.send(
      new PutCommand({
        TableName: tableName('settings'),
        Item: { settingId: SETTING_ID, ...setting },
        ReturnValues: 'ALL_OLD',
      }),
    ),
  );
  const before = settingOf(answer.Attributes);
  await recordAudit({
    actor: auditActor(actor),
    category: 'settings',
    action: pseudonymise ? 'privacy.turned-on' : 'privacy.turned-off',
    target: { type: 'setting', id: SETTING_ID },
    before: { pseudonymise: before.pseudonymise },
    after: { pseudonymise },
    at: now,
  });

  return { setting, changed: true };
};

/** What a flow that would reveal identity says when it stops. */
export const PRIVACY_STOP_MESSAGE =
  'Pseudonymisation is on, so this flow did not email anyone: turn it off ' +
  'in the privacy settings to run flows that reveal identity.';

/** Throws PrivacyStopError while pseudonymisation is on. */
export const assertIdentityMayBeRevealed = async (): Promise<void> => {
  if (await isPseudonymised()) throw new PrivacyStopError(PRIVACY_STOP_MESSAGE);
};

/*
 * An alias is `Anon` and ten Crockford base32 characters in two groups of
 * five: 50 bits of the HMAC-SHA256 of the user id. Among 100,000 users the
 * chance that any two share an alias is about n²/2⁵¹ ≈ 4·10⁻⁶ (among a
 * million, 4·10⁻⁴), while the alias stays short enough to read out; a
 * lookup that finds two users for one alias refuses rather than guesses.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ALIAS_CHARS = 10;

/** The shape of an alias, e.g. `AnonK7Q2M-9XH4T`. */
export const ALIAS_PATTERN =
  /^Anon[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/;

/** A user's alias under a given key (a pure function, for tests). */
export const aliasWithKey = (userId: string, key: Buffer): string => {
  const digest = createHmac('sha256', key).update(userId, 'utf8').digest();
  let bits = BigInt(`0x${digest.subarray(0, 7).toString('hex')}`) >> 6n;
  const chars: string[] = [];
  for (let index = 0; index < ALIAS_CHARS; index += 1) {
    chars.unshift(ALPHABET[Number(bits & 31n)] ?? '0');
    bits >>= 5n;
  }

  return `Anon${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
};

let aliasKeyPending: Promise<Buffer> | undefined;

/** The alias key, derived once per process from the deployment secret. */
export const aliasKey = (): Promise<Buffer> => {
  if (aliasKeyPending === undefined) {
    const pending = derivedKey('alias');
    // A missing secret may be configured later: do not keep the failure.
    pending.catch(() => {
      aliasKeyPending = undefined;
    });
    aliasKeyPending = pending;
  }

  return aliasKeyPending;
};

/**
 * A user's stable alias, such as `AnonK7Q2M-9XH4T`.
 *
 * @example
 * await aliasOf('grace.taylor@contoso.com') // the same alias every time
 */
export const aliasOf = async (userId: string): Promise<string> =>
  aliasWithKey(userId, await aliasKey());

/**
 * Reads what someone typed as an alias: any letter case, and the letters
 * Crockford base32 reads as digits (I and L as 1, O as 0). Undefined when
 * the text is not shaped like an alias.
 */
export const parseAlias = (text: string): string | undefined => {
  const match = /^anon([0-9a-z]{5})-([0-9a-z]{5})$/i.exec(text.trim());
  if (!match) return undefined;
  const chars = `${match[1]}${match[2]}`
    .toUpperCase()
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0');
  const alias = `Anon${chars.slice(0, 5)}-${chars.slice(5)}`;

  return ALIAS_PATTERN.test(alias) ? alias : undefined;
};

/**
 * How a user looks while pseudonymised. The alias replaces the user id,
 * display name and manager; email, job title, team and projects are left
 * out because each can single a person out. Department, business unit and
 * functional unit stay, as in Purview: they group many people.
 */
export const aliasedUser = (
  user: User,
  alias: (userId: string) => string,
): User => {
  const userAlias = alias(user.userId);
  const kept = {
    department: user.department,
    businessUnit: user.businessUnit,
    functionalUnit: user.functionalUnit,
    managerId: user.managerId === undefined ? undefined : alias(user.managerId),
    activeCaseId: user.activeCaseId,
  };

  return {
    userId: userAlias,
    displayName: userAlias,
    email: '',
    alias: userAlias,
    riskLevel: user.riskLevel,
    ...Object.fromEntries(
      Object.entries(kept).filter(([, value]) => value !== undefined),
    ),
  };
};

/**
 * Shows users by alias under the deployment's key: the `presentUser` hook
 * of the ServiceNow record context.
 */
export const aliasPresenter = async (): Promise<(user: User) => User> => {
  const key = await aliasKey();

  return (user) => aliasedUser(user, (userId) => aliasWithKey(userId, key));
};

const escapeRegExp = (text: string): string =>
  text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Terms shorter than this are not searched for in free text. */
const MIN_TERM_LENGTH = 3;

/**
 * Replaces the identity of known users by their aliases: in user records,
 * in fields that hold a user id, and in free text (display name, email
 * address and user id, whole words only, in any letter case).
 */
export class Pseudonyms {
  private readonly byTerm = new Map<string, string>();
  private readonly pattern: RegExp | undefined;

  constructor(
    private readonly key: Buffer,
    users: readonly User[],
    userIds: readonly string[] = [],
  ) {
    for (const user of users) {
      const userAlias = this.alias(user.userId);
      for (const term of [user.displayName, user.email, user.userId]) {
        this.addTerm(term, userAlias);
      }
    }
    for (const userId of userIds) this.addTerm(userId, this.alias(userId));
    const terms = [...this.byTerm.keys()].sort((a, b) => b.length - a.length);
    this.pattern =
      terms.length === 0
        ? undefined
        : new RegExp(
            `(?<![\\p{L}\\p{N}_])(?:${terms.map(escapeRegExp).join('|')})` +
              '(?![\\p{L}\\p{N}_])',
            'giu',
          );
  }

  private addTerm(term: string | undefined, userAlias: string): void {
    if (term === undefined || term.trim().length < MIN_TERM_LENGTH) return;
    this.byTerm.set(term.toLowerCase(), userAlias);
  }

  /** The alias of a user id. */
  alias(userId: string): string {
    return aliasWithKey(userId, this.key);
  }

  /** The user as a reviewer sees them while pseudonymised. */
  user(user: User): User {
    return aliasedUser(user, (userId) => this.alias(userId));
  }

  /** The text with every known user's identity replaced by their alias. */
  text(text: string): string {
    if (this.pattern === undefined) return text;

    return text.replace(
      this.pattern,
      (found) => this.byTerm.get(found.toLowerCase()) ?? found,
    );
  }
}

/** Pseudonyms for these users (and ids of users no longer known). */
export const pseudonymsFor = async (
  users: readonly User[],
  userIds: readonly string[] = [],
): Promise<Pseudonyms> => new Pseudonyms(await aliasKey(), users, userIds);
