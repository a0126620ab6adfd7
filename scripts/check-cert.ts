import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import {
  ensureTables,
  startDynamo,
  tableEnvironment,
} from '../local/dynamo.js';
import { LOCAL_ALIAS_SECRET } from '../local/secrets.js';

/*
 * `npm run check:cert [-- FOLDER]`: an optional check of the import against
 * the real CERT insider threat extract kept beside the project (its licence
 * forbids copying it into the repository, so `npm test` cannot rely on it).
 * It imports the r4.2 directory and the answers file into an in-memory
 * DynamoDB twice and checks the figures the import must give.
 */

const folder = resolve(
  process.argv[2] ?? resolve('..', 'shared', 'data', 'cert'),
);
const directory = resolve(folder, 'r4.2', 'LDAP', '2010-01.csv');
const answers = resolve(folder, 'answers', 'insiders.csv');

const read = (file: string) =>
  parse(readFileSync(file), { columns: true }) as Record<string, string>[];

/** The answers rows whose user the directory holds, counted independently. */
const expectedCases = (): number => {
  const users = new Set(read(directory).map((row) => row.user_id));

  return read(answers).filter((row) => users.has(row.user ?? '')).length;
};

const check = (problems: string[], what: string, got: number, want: number) => {
  if (got !== want) problems.push(`${what}: got ${got}, expected ${want}`);
};

const main = async (): Promise<void> => {
  process.env.AWS_REGION ||= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ||= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ||= 'local';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.ALIAS_SECRET ||= LOCAL_ALIAS_SECRET;
  const dynamo = await startDynamo({ port: 0 });
  await ensureTables(dynamo.url, 'cert');
  Object.assign(process.env, tableEnvironment('cert'));
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.url;
  const { runImport } = await import('./import/run.js');
  const { collectingReport } = await import('./import/report.js');
  const files = { directory, alerts: [answers] };
  const problems: string[] = [];
  const cases = expectedCases();
  const first = await runImport(files, collectingReport());
  check(problems, 'users', first.users, 1000);
  check(problems, 'users with a manager', first.usersWithManager, 999);
  check(problems, 'cases (r4.2 answers rows)', first.cases, cases);
  check(problems, 'r4.2 answers rows', cases, 70);
  const second = await runImport(files, collectingReport());
  check(problems, 'users added again', second.users, 0);
  check(problems, 'cases added again', second.cases, 0);
  check(problems, 'alerts added again', second.alerts, 0);
  await dynamo.close();
  if (problems.length > 0) {
    console.error(`CERT check failed:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(
    `CERT check passed: ${first.users} users (${first.usersWithManager} with ` +
      `a manager), ${first.cases} cases; a second import added nothing.`,
  );
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
