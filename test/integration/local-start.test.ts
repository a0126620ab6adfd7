import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * `npm start` as a person runs it: a child process on its own data folder
 * and free ports. The demo data is marked as loaded to keep it quick.
 */

const START = join('local', 'start.ts');
let dataDir: string;
const running = new Set<ChildProcess>();

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'irm-start-'));
  writeFileSync(join(dataDir, 'demo-loaded'), 'skipped by the test');
});

afterAll(() => {
  for (const child of running) child.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Started {
  readonly child: ChildProcess;
  readonly banner: string;
}

/** The environment of `npm start`: this test's folder, free ports. */
const startEnvironment = (): NodeJS.ProcessEnv => ({
  ...process.env,
  IRM_DATA_DIR: dataDir,
  PORT: '0',
  DYNAMODB_PORT: '0',
  SES_PORT: '0',
  STEPFUNCTIONS_PORT: '0',
  SERVICENOW_PORT: '0',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
});

/** Starts `local/start.ts` and waits for its banner. */
const startLocal = (): Promise<Started> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', START], {
      env: startEnvironment(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Press Ctrl-C to stop.')) {
        resolve({ child, banner: output });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('exit', (code) => {
      running.delete(child);
      reject(new Error(`exited ${code}: ${output}`));
    });
  });

const stop = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

const turnPseudonymisationOff = async (): Promise<void> => {
  const { apiUrl } = JSON.parse(
    readFileSync(join(dataDir, 'stack.json'), 'utf8'),
  ) as { apiUrl: string };
  const token = /IRM_TOKEN=(\S+)/.exec(
    readFileSync(join(dataDir, 'tokens.env'), 'utf8'),
  )?.[1];
  const answer = await fetch(`${apiUrl}/settings/privacy`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ pseudonymise: false }),
  });
  if (answer.status !== 200) throw new Error(`privacy: ${answer.status}`);
};

describe('the npm start banner', () => {
  it('says users are pseudonymised only while the stored setting is on', async () => {
    // Prepare
    const first = await startLocal();
    await turnPseudonymisationOff();
    await stop(first.child);

    // Act
    const second = await startLocal();
    await stop(second.child);

    // Assess
    expect(first.banner).toContain('Users are pseudonymised (the default)');
    expect(second.banner).not.toContain('Users are pseudonymised');
    expect(second.banner).toContain('Users are not pseudonymised');
  }, 90_000);
});
