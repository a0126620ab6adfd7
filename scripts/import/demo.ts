import { join } from 'node:path';
import { formatSummary, type ImportCounts } from './counts.js';
import { collectingReport, type ImportReport } from './report.js';
import { type ImportFiles, runImport } from './run.js';

/** The demo data set's files, under `demo/` of the repository. */
export const demoFiles = (root: string = process.cwd()): ImportFiles => ({
  directory: join(root, 'demo', 'directory.csv'),
  alerts: [
    join(root, 'demo', 'alerts-o365.json'),
    join(root, 'demo', 'alerts-graph.json'),
    join(root, 'demo', 'insiders.csv'),
  ],
});

/**
 * Imports the fictional Northwind Components organisation: its directory,
 * then its Office 365, Graph and CERT-format alerts. The repositories'
 * table settings must be in the environment already.
 */
export const importDemoData = (
  report: ImportReport = collectingReport(),
  root?: string,
): Promise<ImportCounts> => runImport(demoFiles(root), report);

/**
 * Loads the demo data into the tables the environment names and returns
 * the one-line import summary. The local stack calls it on first start.
 */
export const loadDemoData = async (): Promise<string> =>
  formatSummary(await importDemoData());
