import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ImportFiles } from './run.js';

/** The help text of `npm run import`. */
export const USAGE = `Usage: npm run import -- [--directory FILE.csv] [--alerts FILE]... [where]

Loads a directory export and insider risk alerts into the product's tables.

What to import (at least one)
  --directory FILE.csv  users in the CERT LDAP CSV format, with a header row:
                        employee_name,user_id,email,role,business_unit,
                        functional_unit,department,team,supervisor[,projects]
  --alerts FILE         alerts, told apart by content; may be repeated:
                        Office 365 Management Activity records of insider
                        risk alerts (record type 40) as JSON or JSON lines,
                        Microsoft Graph security alerts_v2 JSON, or the CERT
                        answers CSV (dataset,scenario,details,user,start,end)

Where to write (default: the local stack's data, running or not)
  --data-dir DIR        a local DynamoDB folder instead of the local stack's
                        (IRM_DATA_DIR/dynamodb, .local/dynamodb by default)
  --endpoint URL        another DynamoDB endpoint (needs --stage)
  --aws                 a deployed stack's tables on AWS (needs --stage); the
                        AWS credentials and region of the environment are
                        used, and AWS_ENDPOINT_URL_DYNAMODB is ignored
  --stage NAME          whose tables to write (irm-NAME-*); default local
  --help                print this help

Rows that cannot be loaded are listed on stderr with their line number and
skipped. Importing the same files again changes nothing. The last line is a
summary. Exit status: 0 imported, 1 failed, 2 bad arguments or files.

Examples
  npm run import -- --directory hr/users.csv --alerts irm-alerts.json
  npm run import -- --alerts graph-alerts.json --aws --stage prod`;

/** Where an import writes. */
export type ImportTarget =
  | {
      readonly kind: 'local';
      readonly stage?: string;
      readonly dataDir?: string;
    }
  | {
      readonly kind: 'endpoint';
      readonly stage: string;
      readonly endpoint: string;
    }
  | { readonly kind: 'aws'; readonly stage: string };

/** What to import and where, as the command line says. */
export interface ImportOptions {
  readonly files: ImportFiles;
  readonly target: ImportTarget;
}

/** Parsed arguments: options, a request for help, or what to fix. */
export type ParsedArgs =
  | { readonly help: true }
  | { readonly options: ImportOptions }
  | { readonly error: string };

const OPTIONS = {
  directory: { type: 'string' },
  alerts: { type: 'string', multiple: true },
  stage: { type: 'string' },
  aws: { type: 'boolean' },
  endpoint: { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS }>
>['values'];

const STAGE = /^[A-Za-z0-9_.-]{1,40}$/;

const isHttpUrl = (text: string): boolean => {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
};

/** The first thing wrong with the arguments, if any. */
const problemWith = (values: Values): string | undefined => {
  const { directory, alerts, stage, aws, endpoint } = values;
  const checks: [boolean, string][] = [
    [
      !directory && !alerts,
      'Give --directory FILE.csv, --alerts FILE, or both',
    ],
    [Boolean(aws && endpoint), 'Give --aws or --endpoint URL, not both'],
    [
      Boolean((aws || endpoint) && values['data-dir']),
      '--data-dir is for local data; drop it with --aws or --endpoint',
    ],
    [
      Boolean(aws && !stage),
      '--aws needs --stage NAME: the stage the stack was deployed with',
    ],
    [
      Boolean(endpoint && !stage),
      '--endpoint needs --stage NAME: whose tables to write',
    ],
    [
      endpoint !== undefined && !isHttpUrl(endpoint),
      `--endpoint ${endpoint}: give an http:// or https:// URL`,
    ],
    [
      stage !== undefined && !STAGE.test(stage),
      `--stage ${stage}: use letters, digits, dot, dash or underscore (up to 40)`,
    ],
  ];

  return checks.find(([failed]) => failed)?.[1];
};

const targetOf = (values: Values, cwd: string): ImportTarget => {
  const { stage, endpoint } = values;
  if (values.aws && stage) return { kind: 'aws', stage };
  if (endpoint && stage) return { kind: 'endpoint', stage, endpoint };
  const dataDir = values['data-dir'];

  return { kind: 'local', stage, dataDir: dataDir && resolve(cwd, dataDir) };
};

/**
 * Reads the command line of `npm run import`. Relative file names are
 * taken from `cwd`, the folder the user ran the command in.
 */
export const parseImportArgs = (
  argv: readonly string[],
  cwd: string,
): ParsedArgs => {
  let values: Values;
  try {
    values = parseArgs({
      args: [...argv],
      options: OPTIONS,
      strict: true,
    }).values;
  } catch (error) {
    const message = (error as Error).message.split('. ')[0]?.replace(/\.$/, '');

    return { error: `${message}. Run with --help for usage.` };
  }
  if (values.help) return { help: true };
  const problem = problemWith(values);
  if (problem) return { error: `${problem}. Run with --help for usage.` };
  const files: ImportFiles = {
    directory: values.directory && resolve(cwd, values.directory),
    alerts: (values.alerts ?? []).map((file) => resolve(cwd, file)),
  };

  return { options: { files, target: targetOf(values, cwd) } };
};
