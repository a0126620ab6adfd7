import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ensureTables,
  type LocalDynamo,
  startDynamo,
  tableEnvironment,
} from '../../local/dynamo.js';
import { collectingReport } from '../../scripts/import/report.js';

/*
 * Imports small files one after another into dynalite in memory, as a
 * directory grows over several imports: managers named by display name
 * are found among the people imported before, problems come out in line
 * order, and an empty file is refused.
 */

const STAGE = 'lookups';
const HEADER =
  'employee_name,user_id,email,role,business_unit,functional_unit,' +
  'department,team,supervisor';

let dynamo: LocalDynamo;
let scratch: string;

beforeAll(async () => {
  dynamo = await startDynamo({ port: 0 });
  await ensureTables(dynamo.url, STAGE);
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.url;
  Object.assign(process.env, tableEnvironment(STAGE));
  scratch = mkdtempSync(join(tmpdir(), 'irm-import-'));
});

afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  await dynamo.close();
});

const csv = (name: string, lines: readonly string[]): string => {
  const file = join(scratch, name);
  writeFileSync(file, lines.length ? `${lines.join('\n')}\n` : '');

  return file;
};

const person = (name: string, userId: string, supervisor = '') =>
  `${name},${userId},${userId.toLowerCase()}@fabrikam.example,Engineer,1,` +
  `2 - Engineering,1 - Software,1 - Apps,${supervisor}`;

const importDirectoryFile = async (file: string) => {
  const { importDirectory } = await import('../../scripts/import/directory.js');
  const report = collectingReport();
  const counts = await importDirectory(file, report);

  return { counts, report };
};

describe('a directory imported in several files', () => {
  beforeAll(async () => {
    await importDirectoryFile(
      csv('first.csv', [
        HEADER,
        person('Zoë Ångström-Núñez', 'ZAN0106'),
        person('Sam Lee', 'SLE0001'),
        person('Sam Lee', 'SLE0002'),
      ]),
    );
  });

  it('finds a manager named by display name among the people stored before', async () => {
    const { getUser } = await import('../../functions/domain/directory.js');

    const { report } = await importDirectoryFile(
      csv('second.csv', [
        HEADER,
        person('New Hire', 'NHI0200', 'zoë ångström-núñez'),
      ]),
    );

    expect(report.warnings).toEqual([]);
    expect((await getUser('NHI0200'))?.managerId).toBe('ZAN0106');
  });

  it('reports a stored display name that two people share as ambiguous', async () => {
    const { getUser } = await import('../../functions/domain/directory.js');

    const { report } = await importDirectoryFile(
      csv('third.csv', [HEADER, person('Other Hire', 'OHI0201', 'Sam Lee')]),
    );

    expect(report.warnings).toEqual([
      expect.objectContaining({
        where: 'line 2',
        reason: expect.stringContaining(
          '"Sam Lee" names 2 people in the directory',
        ),
      }),
    ]);
    expect((await getUser('OHI0201'))?.managerId).toBeUndefined();
  });

  it.each([
    ['a header only', [HEADER]],
    ['nothing at all', []],
  ])(
    'refuses a directory file with %s: no rows to import',
    async (_, lines) => {
      const file = csv('empty.csv', lines);

      await expect(importDirectoryFile(file)).rejects.toThrow(
        `${file}: no rows to import`,
      );
    },
  );
});

describe('an alerts file with problems found at different steps', () => {
  beforeAll(async () => {
    await importDirectoryFile(
      csv('alert-users.csv', [
        HEADER,
        person('Zoë Ångström-Núñez', 'ZAN0106'),
        person('Sam Lee', 'SLE0001'),
        person('Sam Lee', 'SLE0002'),
      ]),
    );
  });

  it('reports its rejected rows in line order', async () => {
    const { importAlerts } = await import('../../scripts/import/alerts.js');
    const report = collectingReport();
    const file = csv('answers.csv', [
      'dataset,scenario,details,user,start,end',
      '4.2,1,r4.2-1-ZAN0106.csv,ZAN0106,07/01/2010 01:24:58,07/16/2010 06:52:00',
      '4.2,1,r4.2-1-NOB0001.csv,NOB0001,07/01/2010 01:24:58,07/16/2010 06:52:00',
      '4.2,1,r4.2-1-SLE0001.csv,SLE0001,never,07/16/2010 06:52:00',
      '4.2,1,r4.2-1-SLE0002.csv,SLE0002,07/01/2010 01:24:58,',
    ]);

    await importAlerts(file, report);

    expect(report.rejections.map((problem) => problem.where)).toEqual([
      'line 3',
      'line 4',
      'line 5',
    ]);
  });
});

/** Runs the import command; dynalite answers from this process meanwhile. */
const runCli = (args: readonly string[]) =>
  new Promise<{ status: number | null; stderr: string }>((done) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/import/cli.ts', ...args],
      { env: { ...process.env, INIT_CWD: process.cwd() } },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (status) => done({ status, stderr }));
  });

describe('npm run import', () => {
  it('says there are no rows to import and exits 2 for an empty CSV', async () => {
    const file = csv('header-only.csv', [HEADER]);

    const run = await runCli([
      '--directory',
      file,
      '--endpoint',
      dynamo.url,
      '--stage',
      STAGE,
    ]);

    expect(run.stderr).toContain(`${file}: no rows to import`);
    expect(run.status).toBe(2);
  });
});
