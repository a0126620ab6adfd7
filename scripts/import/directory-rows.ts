import { z } from 'zod';
import { idSchema } from '../../functions/domain/model.js';
import type { CsvColumns } from './csv.js';
import { describeIssues } from './report.js';

/**
 * The columns of the CERT insider threat LDAP files; the r5.2 release adds
 * `projects`. `supervisor` is the manager's display name or user id.
 */
export const DIRECTORY_COLUMNS = {
  required: [
    'employee_name',
    'user_id',
    'email',
    'role',
    'business_unit',
    'functional_unit',
    'department',
    'team',
    'supervisor',
  ],
  optional: ['projects'],
} as const satisfies CsvColumns;

/** A directory row as the import reads it, before its manager is known. */
export interface DirectoryEntry {
  readonly userId: string;
  readonly displayName: string;
  readonly email: string;
  readonly jobTitle?: string;
  readonly businessUnit?: string;
  readonly functionalUnit?: string;
  readonly department?: string;
  readonly team?: string;
  readonly projects?: string;
  /** The supervisor column as written: a display name or a user id. */
  readonly supervisor?: string;
}

const optionalText = z
  .string()
  .trim()
  .max(500, 'must be at most 500 characters')
  .optional()
  .transform((text) => (text === '' ? undefined : text));

const directoryRow = z.object({
  employee_name: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters'),
  user_id: idSchema,
  email: z
    .string()
    .trim()
    .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'is not an email address'),
  role: optionalText,
  business_unit: optionalText,
  functional_unit: optionalText,
  department: optionalText,
  team: optionalText,
  projects: optionalText,
  supervisor: optionalText,
});

/** Reads one directory row; a reason says what is wrong with a bad one. */
export const readDirectoryRow = (
  fields: Readonly<Record<string, string>>,
): { entry: DirectoryEntry } | { reason: string } => {
  const parsed = directoryRow.safeParse(fields);
  if (!parsed.success) return { reason: describeIssues(parsed.error) };
  const row = parsed.data;

  return {
    entry: {
      userId: row.user_id,
      displayName: row.employee_name,
      email: row.email,
      jobTitle: row.role,
      businessUnit: row.business_unit,
      functionalUnit: row.functional_unit,
      department: row.department,
      team: row.team,
      projects: row.projects,
      supervisor: row.supervisor,
    },
  };
};

/** Who is in a directory file, by display name and by user id. */
export interface PeopleIndex {
  /** Lower-case display name to the user ids that carry it. */
  readonly byName: Map<string, string[]>;
  /** Lower-case user id to the user id as written. */
  readonly byId: Map<string, string>;
}

/** An index of nobody, to fill while a file is read. */
export const emptyPeopleIndex = (): PeopleIndex => ({
  byName: new Map(),
  byId: new Map(),
});

/** Adds a person to the index. */
export const indexPerson = (index: PeopleIndex, entry: DirectoryEntry) => {
  const name = entry.displayName.toLowerCase();
  index.byName.set(name, [...(index.byName.get(name) ?? []), entry.userId]);
  index.byId.set(entry.userId.toLowerCase(), entry.userId);
};

/** The manager a supervisor column names, or why it names none. */
export interface ManagerResolution {
  readonly managerId?: string;
  readonly problem?: string;
}

const ambiguous = (supervisor: string, count: number, where: string) => ({
  problem:
    `supervisor "${supervisor}" names ${count} people${where}; ` +
    "write the manager's user id instead; loaded without a manager",
});

/**
 * Finds the manager a supervisor column names: by display name in the
 * file, else by user id in the file, else among the users already stored
 * (`stored`: the lower-case supervisor text to the ids of the stored users
 * it names, by user id or by display name).
 */
export const resolveManager = (
  entry: DirectoryEntry,
  index: PeopleIndex,
  stored: ReadonlyMap<string, readonly string[]>,
): ManagerResolution => {
  const supervisor = entry.supervisor;
  if (supervisor === undefined) return {};
  const key = supervisor.toLowerCase();
  const named = index.byName.get(key) ?? [];
  if (named.length > 1) return ambiguous(supervisor, named.length, '');
  const inFile = named.length > 0 || index.byId.has(key);
  const storedIds = inFile ? [] : (stored.get(key) ?? []);
  if (storedIds.length > 1) {
    return ambiguous(supervisor, storedIds.length, ' in the directory');
  }
  const managerId = named[0] ?? index.byId.get(key) ?? storedIds[0];
  if (managerId === undefined) {
    return {
      problem:
        `supervisor "${supervisor}" is neither a name nor a user id in the ` +
        'directory; loaded without a manager',
    };
  }
  if (managerId === entry.userId) {
    return {
      problem: 'the user is their own supervisor; loaded without a manager',
    };
  }

  return { managerId };
};
