import { importAlerts } from './alerts.js';
import {
  addCounts,
  emptyCounts,
  type ImportCounts,
  newSession,
} from './counts.js';
import { importDirectory } from './directory.js';
import { assertReadable } from './files.js';
import type { ImportReport } from './report.js';

/** The files of one import: a directory export and alerts files. */
export interface ImportFiles {
  readonly directory?: string;
  readonly alerts: readonly string[];
}

/**
 * Imports the directory first, then each alerts file in order, so that
 * alerts find their users. Every file is checked before anything is written.
 */
export const runImport = async (
  files: ImportFiles,
  report: ImportReport,
): Promise<ImportCounts> => {
  const all = [...(files.directory ? [files.directory] : []), ...files.alerts];
  for (const file of all) await assertReadable(file);
  const session = newSession();
  let counts: ImportCounts = emptyCounts();
  if (files.directory) {
    counts = addCounts(counts, await importDirectory(files.directory, report));
  }
  for (const file of files.alerts) {
    counts = addCounts(counts, await importAlerts(file, report, session));
  }

  return counts;
};
