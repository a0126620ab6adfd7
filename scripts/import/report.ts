import { basename } from 'node:path';
import type { z } from 'zod';

/** A row the import rejected or loaded with a warning: where and why. */
export interface RowProblem {
  /** The file's name as given. */
  readonly file: string;
  /** `line 12` for CSV and JSON lines, `record 3` for a JSON array. */
  readonly where: string;
  readonly reason: string;
}

/** Where an import tells what it rejected, what it doubted and how far it is. */
export interface ImportReport {
  /** A row that was not loaded. */
  rejected(problem: RowProblem): void;
  /** A row that loaded, but not entirely (an unknown manager...). */
  warning(problem: RowProblem): void;
  /** Rows handled so far in a file. */
  progress(file: string, rows: number): void;
}

/** The whole file cannot be imported: missing, unreadable, unknown format. */
export class ImportFileError extends Error {
  override name = 'ImportFileError';
}

/** Formats a problem as one line, e.g. `users.csv line 4: ...`. */
export const describeProblem = (problem: RowProblem): string =>
  `${basename(problem.file)} ${problem.where}: ${problem.reason}`;

const PROGRESS_INTERVAL_MS = 1000;

/**
 * Writes problems and progress to a stream (stderr in the CLI). Progress
 * is a line at most once a second, so a small file prints none and a large
 * one shows it is moving whether or not the stream is a terminal.
 */
export const streamReport = (
  stream: NodeJS.WritableStream,
  now: () => number = Date.now,
): ImportReport => {
  let lastProgress = now();

  return {
    rejected: (problem) =>
      stream.write(`rejected: ${describeProblem(problem)}\n`),
    warning: (problem) =>
      stream.write(`warning: ${describeProblem(problem)}\n`),
    progress: (file, rows) => {
      if (now() - lastProgress < PROGRESS_INTERVAL_MS) return;
      lastProgress = now();
      stream.write(`${basename(file)}: ${rows} rows done\n`);
    },
  };
};

/** A report that keeps what it is told, for tests and the local stack. */
export interface CollectedReport extends ImportReport {
  readonly rejections: RowProblem[];
  readonly warnings: RowProblem[];
}

/** Collects problems in memory and ignores progress. */
export const collectingReport = (): CollectedReport => {
  const rejections: RowProblem[] = [];
  const warnings: RowProblem[] = [];

  return {
    rejections,
    warnings,
    rejected: (problem) => rejections.push(problem),
    warning: (problem) => warnings.push(problem),
    progress: () => undefined,
  };
};

/** A report whose problems wait for `flush` to be passed on. */
export interface HeldReport extends ImportReport {
  /** Passes the problems held so far on, in their order in the file. */
  flush(): void;
}

/** Where a problem sits in its file: the number ending `line 12`. */
const placeOf = (problem: RowProblem): number =>
  Number(/(\d+)$/.exec(problem.where)?.[1] ?? Number.POSITIVE_INFINITY);

/**
 * Holds a file's rejections and warnings until `flush`, then passes them on
 * in the order of their lines (or records), whichever step found them: an
 * alerts file is checked row by row first and against the directory after.
 * Progress passes straight through.
 */
export const lineOrderedReport = (report: ImportReport): HeldReport => {
  const held: { problem: RowProblem; rejected: boolean }[] = [];

  return {
    rejected: (problem) => held.push({ problem, rejected: true }),
    warning: (problem) => held.push({ problem, rejected: false }),
    progress: (file, rows) => report.progress(file, rows),
    flush: () => {
      const ordered = [...held].sort(
        (a, b) => placeOf(a.problem) - placeOf(b.problem),
      );
      held.length = 0;
      for (const { problem, rejected } of ordered) {
        if (rejected) report.rejected(problem);
        else report.warning(problem);
      }
    },
  };
};

/** Joins zod's issues into one reason, naming the fields at fault. */
export const describeIssues = (error: z.ZodError): string =>
  error.issues
    .map((issue) => `${issue.path.join('.') || 'row'} ${issue.message}`)
    .join('; ');
