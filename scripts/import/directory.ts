import {
  findUserIdsByDisplayName,
  getUsers,
  putUser,
} from '../../functions/domain/directory.js';
import type { User } from '../../functions/domain/model.js';
import { emptyCounts, type ImportCounts, type Tally } from './counts.js';
import { readCsvRows } from './csv.js';
import {
  DIRECTORY_COLUMNS,
  type DirectoryEntry,
  emptyPeopleIndex,
  indexPerson,
  type PeopleIndex,
  readDirectoryRow,
  resolveManager,
} from './directory-rows.js';
import { assertReadable } from './files.js';
import { inBatches, runBounded, WRITE_CONCURRENCY } from './pool.js';
import type { ImportReport } from './report.js';

/** Users are read back 100 at a time, the most a BatchGetItem takes. */
const BATCH_SIZE = 100;

interface FileIndex {
  readonly people: PeopleIndex;
  /** Lower-case user id to the line that first carries it. */
  readonly firstLine: Map<string, number>;
  readonly supervisors: Set<string>;
}

/** First pass: who is in the file, so that managers resolve in any order. */
const indexFile = async (file: string): Promise<FileIndex> => {
  const index: FileIndex = {
    people: emptyPeopleIndex(),
    firstLine: new Map(),
    supervisors: new Set(),
  };
  for await (const row of readCsvRows(file, DIRECTORY_COLUMNS)) {
    if ('reason' in row) continue;
    const read = readDirectoryRow(row.fields);
    if (!('entry' in read)) continue;
    const key = read.entry.userId.toLowerCase();
    if (index.firstLine.has(key)) continue;
    index.firstLine.set(key, row.line);
    indexPerson(index.people, read.entry);
    if (read.entry.supervisor) index.supervisors.add(read.entry.supervisor);
  }

  return index;
};

/**
 * Supervisors the file does not know, looked up among stored users: as a
 * user id first, else as a display name (two people of that name make the
 * supervisor ambiguous). Keyed by lower-case supervisor text.
 */
const storedManagers = async (
  index: FileIndex,
): Promise<Map<string, string[]>> => {
  const unknown = [...index.supervisors].filter((supervisor) => {
    const key = supervisor.toLowerCase();

    return !index.people.byName.has(key) && !index.people.byId.has(key);
  });
  const byId = await getUsers(unknown);
  const stored = new Map(
    [...byId.keys()].map((id): [string, string[]] => [id.toLowerCase(), [id]]),
  );
  const byName = unknown.filter((name) => !stored.has(name.toLowerCase()));
  await runBounded(byName, WRITE_CONCURRENCY, async (name) => {
    const ids = await findUserIdsByDisplayName(name);
    if (ids.length > 0) stored.set(name.toLowerCase(), ids);
  });

  return stored;
};

interface Placed {
  readonly entry: DirectoryEntry;
  readonly managerId?: string;
}

/** Second pass: the rows to write, with their managers, bad ones reported. */
async function* placedRows(
  file: string,
  index: FileIndex,
  stored: ReadonlyMap<string, readonly string[]>,
  report: ImportReport,
  tally: Tally,
): AsyncGenerator<Placed> {
  for await (const row of readCsvRows(file, DIRECTORY_COLUMNS)) {
    const where = `line ${row.line}`;
    const read = 'reason' in row ? row : readDirectoryRow(row.fields);
    if ('reason' in read) {
      tally.rejected += 1;
      report.rejected({ file, where, reason: read.reason });
      continue;
    }
    const first = index.firstLine.get(read.entry.userId.toLowerCase());
    if (first !== row.line) {
      tally.rejected += 1;
      report.rejected({
        file,
        where,
        reason: `user id ${read.entry.userId} already appears on line ${first}`,
      });
      continue;
    }
    const manager = resolveManager(read.entry, index.people, stored);
    if (manager.problem) {
      report.warning({ file, where, reason: manager.problem });
    }
    yield { entry: read.entry, managerId: manager.managerId };
  }
}

/**
 * The user record to store: the directory's fields from the file, and
 * whatever else the product keeps on the user (risk level, active case)
 * from the stored record.
 */
export const mergeUser = (placed: Placed, stored?: User): User => {
  const { supervisor, ...fields } = placed.entry;

  return {
    ...stored,
    ...fields,
    managerId: placed.managerId,
    riskLevel: stored?.riskLevel ?? 'none',
  };
};

const DIRECTORY_FIELDS = [
  'displayName',
  'email',
  'jobTitle',
  'businessUnit',
  'functionalUnit',
  'department',
  'team',
  'projects',
  'managerId',
  'riskLevel',
] as const satisfies readonly (keyof User)[];

const sameDirectoryFields = (stored: User, next: User): boolean =>
  DIRECTORY_FIELDS.every((field) => stored[field] === next[field]);

const writeUser = async (
  placed: Placed,
  stored: User | undefined,
  tally: Tally,
): Promise<void> => {
  const next = mergeUser(placed, stored);
  const changed =
    !(stored && sameDirectoryFields(stored, next)) && (await putUser(next));
  if (!changed) {
    tally.unchanged.users += 1;

    return;
  }
  tally.users += 1;
  if (next.managerId !== undefined) tally.usersWithManager += 1;
};

/**
 * Imports a directory export (CERT LDAP CSV, with or without `projects`).
 * The file is read twice, streamed both times: once to learn every name
 * and id, so that a manager may appear after their reports, then to write
 * users in batches. Rows already stored as they are count as unchanged.
 */
export const importDirectory = async (
  file: string,
  report: ImportReport,
): Promise<ImportCounts> => {
  await assertReadable(file);
  const index = await indexFile(file);
  const stored = await storedManagers(index);
  const tally = emptyCounts();
  let done = 0;
  const rows = placedRows(file, index, stored, report, tally);
  for await (const batch of inBatches(rows, BATCH_SIZE)) {
    const existing = await getUsers(batch.map((placed) => placed.entry.userId));
    await runBounded(batch, WRITE_CONCURRENCY, (placed) =>
      writeUser(placed, existing.get(placed.entry.userId), tally),
    );
    done += batch.length;
    report.progress(file, done);
  }

  return tally;
};
