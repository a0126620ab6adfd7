import type { User } from '../../functions/domain/model.js';
import {
  ALIAS_PATTERN,
  aliasedUser,
  aliasWithKey,
  Pseudonyms,
  parseAlias,
} from '../../functions/domain/privacy.js';

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 8);

const grace: User = {
  userId: 'grace.taylor@contoso.test',
  displayName: 'Grace Taylor',
  email: 'grace.taylor@contoso.test',
  jobTitle: 'Chief Financial Officer',
  department: 'Finance',
  businessUnit: 'Corporate',
  team: 'Treasury',
  managerId: 'ceo@contoso.test',
  riskLevel: 'elevated',
};

/** aliasOf under a given deployment secret, from a fresh module registry. */
const aliasUnderSecret = async (secret: string, userId: string) => {
  jest.resetModules();
  process.env.ALIAS_SECRET = secret;
  const privacy = await import('../../functions/domain/privacy.js');

  return privacy.aliasOf(userId);
};

afterEach(() => {
  delete process.env.ALIAS_SECRET;
});

describe('aliasOf', () => {
  it('gives the same user the same alias every time', async () => {
    const first = await aliasUnderSecret('secret-a', grace.userId);
    const again = await aliasUnderSecret('secret-a', grace.userId);

    expect(again).toBe(first);
    expect(first).toMatch(ALIAS_PATTERN);
  });

  it('gives another user another alias', async () => {
    const graces = await aliasUnderSecret('secret-a', grace.userId);
    const others = await aliasUnderSecret('secret-a', 'ceo@contoso.test');

    expect(others).not.toBe(graces);
  });

  it('gives the same user another alias under another secret', async () => {
    const underA = await aliasUnderSecret('secret-a', grace.userId);
    const underB = await aliasUnderSecret('secret-b', grace.userId);

    expect(underB).not.toBe(underA);
  });

  it('fails naming the missing secret rather than inventing one', async () => {
    jest.resetModules();
    const privacy = await import('../../functions/domain/privacy.js');

    await expect(privacy.aliasOf(grace.userId)).rejects.toThrow(
      'Missing setting ALIAS_SECRET_ARN or ALIAS_SECRET',
    );
  });
});

describe('aliasWithKey', () => {
  it('formats Anon and two groups of five Crockford characters', () => {
    const alias = aliasWithKey(grace.userId, KEY);

    expect(alias).toMatch(/^Anon[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/);
  });

  it('spreads 10,000 users over 10,000 distinct aliases', () => {
    const aliases = new Set(
      Array.from({ length: 10_000 }, (_, n) => aliasWithKey(`user${n}`, KEY)),
    );

    expect(aliases.size).toBe(10_000);
  });

  it('changes with the key', () => {
    expect(aliasWithKey(grace.userId, OTHER_KEY)).not.toBe(
      aliasWithKey(grace.userId, KEY),
    );
  });
});

describe('parseAlias', () => {
  it.each([
    ['AnonK7Q2M-9XH4T', 'AnonK7Q2M-9XH4T'],
    ['anonk7q2m-9xh4t', 'AnonK7Q2M-9XH4T'],
    [' ANONK7Q2M-9XH4T ', 'AnonK7Q2M-9XH4T'],
    ['AnonK7Q2M-9XHOl', 'AnonK7Q2M-9XH01'],
  ])('reads %j as %s', (typed, alias) => {
    expect(parseAlias(typed)).toBe(alias);
  });

  it.each([
    'usr001',
    'grace.taylor@contoso.test',
    'AnonK7Q2M9XH4T',
    'AnonK7Q2U-9XH4T',
  ])('leaves %j alone: it is not an alias', (text) => {
    expect(parseAlias(text)).toBeUndefined();
  });
});

describe('aliasedUser', () => {
  it('keeps the groups of many people and drops what singles one out', () => {
    const alias = (userId: string) => aliasWithKey(userId, KEY);

    const shown = aliasedUser(grace, alias);

    expect(shown).toEqual({
      userId: alias(grace.userId),
      displayName: alias(grace.userId),
      alias: alias(grace.userId),
      email: '',
      department: 'Finance',
      businessUnit: 'Corporate',
      managerId: alias('ceo@contoso.test'),
      riskLevel: 'elevated',
    });
  });
});

describe('Pseudonyms.text', () => {
  const pseudonyms = new Pseudonyms(KEY, [grace], ['gone.user@contoso.test']);
  const alias = aliasWithKey(grace.userId, KEY);

  it('replaces the name, address and id in any letter case', () => {
    const text = pseudonyms.text(
      'Sent to GRACE TAYLOR <grace.taylor@contoso.test> about grace taylor.',
    );

    expect(text).toBe(`Sent to ${alias} <${alias}> about ${alias}.`);
  });

  it('replaces the ids of users no longer in the directory', () => {
    expect(pseudonyms.text('No user gone.user@contoso.test')).toBe(
      `No user ${aliasWithKey('gone.user@contoso.test', KEY)}`,
    );
  });

  it('replaces whole words only', () => {
    expect(pseudonyms.text('Grace Taylors and SuperGrace Taylor')).toBe(
      'Grace Taylors and SuperGrace Taylor',
    );
  });

  it('leaves text about nobody it knows unchanged', () => {
    expect(new Pseudonyms(KEY, []).text('Grace Taylor')).toBe('Grace Taylor');
  });
});
