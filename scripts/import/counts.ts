/** What an import wrote, and what it found already stored unchanged. */
export interface ImportCounts {
  readonly users: number;
  readonly usersWithManager: number;
  readonly policies: number;
  readonly memberships: number;
  readonly alerts: number;
  readonly cases: number;
  readonly rejected: number;
  readonly unchanged: UnchangedCounts;
}

/** What an import found stored as the file has it, and left alone. */
export interface UnchangedCounts {
  readonly users: number;
  readonly policies: number;
  readonly memberships: number;
  readonly alerts: number;
  readonly cases: number;
}

/** Counts while an import runs; frozen into ImportCounts at the end. */
export type Tally = {
  -readonly [K in Exclude<keyof ImportCounts, 'unchanged'>]: number;
} & { unchanged: { -readonly [K in keyof UnchangedCounts]: number } };

/** Counts of an import that wrote nothing. */
export const emptyCounts = (): Tally => ({
  users: 0,
  usersWithManager: 0,
  policies: 0,
  memberships: 0,
  alerts: 0,
  cases: 0,
  rejected: 0,
  unchanged: { users: 0, policies: 0, memberships: 0, alerts: 0, cases: 0 },
});

/** The counts of two imports added together. */
export const addCounts = (a: ImportCounts, b: ImportCounts): ImportCounts => ({
  users: a.users + b.users,
  usersWithManager: a.usersWithManager + b.usersWithManager,
  policies: a.policies + b.policies,
  memberships: a.memberships + b.memberships,
  alerts: a.alerts + b.alerts,
  cases: a.cases + b.cases,
  rejected: a.rejected + b.rejected,
  unchanged: {
    users: a.unchanged.users + b.unchanged.users,
    policies: a.unchanged.policies + b.unchanged.policies,
    memberships: a.unchanged.memberships + b.unchanged.memberships,
    alerts: a.unchanged.alerts + b.unchanged.alerts,
    cases: a.unchanged.cases + b.unchanged.cases,
  },
});

const plural = (count: number, one: string, many = `${one}s`): string =>
  `${count} ${count === 1 ? one : many}`;

/**
 * The one-line summary an import ends with, e.g. `Imported 1000 users (999
 * with a manager), 3 policies, 70 alerts, 70 cases, 70 policy memberships;
 * 121 rows rejected; unchanged: 0 users, ...`. Only what was new or changed
 * counts as imported; the unchanged part shows what a re-import left alone.
 */
export const formatSummary = (counts: ImportCounts): string => {
  const { unchanged } = counts;
  const imported = [
    `${plural(counts.users, 'user')} (${counts.usersWithManager} with a manager)`,
    plural(counts.policies, 'policy', 'policies'),
    plural(counts.alerts, 'alert'),
    plural(counts.cases, 'case'),
    plural(counts.memberships, 'policy membership'),
  ].join(', ');
  const same = [
    plural(unchanged.users, 'user'),
    plural(unchanged.policies, 'policy', 'policies'),
    plural(unchanged.alerts, 'alert'),
    plural(unchanged.cases, 'case'),
    plural(unchanged.memberships, 'policy membership'),
  ].join(', ');

  return (
    `Imported ${imported}; ${plural(counts.rejected, 'row')} rejected; ` +
    `unchanged: ${same}`
  );
};

/**
 * What one run of the import has counted already, so that a policy or a
 * case that several files of the run name counts once.
 */
export interface ImportSession {
  readonly counted: Set<string>;
}

/** A run that has counted nothing yet. */
export const newSession = (): ImportSession => ({ counted: new Set() });

/** Marks a thing counted; false when this run counted it before. */
export const firstCount = (session: ImportSession, key: string): boolean => {
  if (session.counted.has(key)) return false;
  session.counted.add(key);

  return true;
};
