import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseImportArgs } from '../../scripts/import/args.js';
import {
  addCounts,
  emptyCounts,
  formatSummary,
} from '../../scripts/import/counts.js';
import { streamReport } from '../../scripts/import/report.js';
import { localDataRoot, runningStack } from '../../scripts/import/target.js';

describe('parseImportArgs', () => {
  it('resolves files from the folder the command ran in', () => {
    // Act
    const parsed = parseImportArgs(
      [
        '--directory',
        'users.csv',
        '--alerts',
        'a.json',
        '--alerts',
        '/x/b.csv',
      ],
      '/home/me',
    );

    // Assess
    expect(parsed).toEqual({
      options: {
        files: {
          directory: '/home/me/users.csv',
          alerts: ['/home/me/a.json', '/x/b.csv'],
        },
        target: { kind: 'local', stage: undefined, dataDir: undefined },
      },
    });
  });

  it.each([
    [
      ['--alerts', 'a.json', '--aws', '--stage', 'prod'],
      { kind: 'aws', stage: 'prod' },
    ],
    [
      [
        '--alerts',
        'a.json',
        '--endpoint',
        'http://127.0.0.1:9000',
        '--stage',
        'dev',
      ],
      { kind: 'endpoint', stage: 'dev', endpoint: 'http://127.0.0.1:9000' },
    ],
    [
      ['--alerts', 'a.json', '--data-dir', 'data'],
      { kind: 'local', stage: undefined, dataDir: '/w/data' },
    ],
  ])('reads the target of %p', (argv, target) => {
    // Act
    const parsed = parseImportArgs(argv, '/w');

    // Assess
    expect(parsed).toEqual({ options: expect.objectContaining({ target }) });
  });

  it('answers help', () => {
    // Act
    const parsed = parseImportArgs(['--help'], '/w');

    // Assess
    expect(parsed).toEqual({ help: true });
  });

  it.each([
    [[], /Give --directory FILE.csv, --alerts FILE, or both/],
    [['--alerts', 'a.json', '--aws'], /--aws needs --stage NAME/],
    [['--alerts', 'a.json', '--endpoint', 'x', '--stage', 's'], /give an http/],
    [
      ['--alerts', 'a.json', '--aws', '--endpoint', 'http://h', '--stage', 's'],
      /not both/,
    ],
    [
      ['--alerts', 'a.json', '--aws', '--stage', 's', '--data-dir', 'd'],
      /--data-dir is for/,
    ],
    [['--alerts', 'a.json', '--stage', 'a b'], /--stage a b: use letters/],
    [['--alerts', 'a.json', '--colour'], /Unknown option '--colour'/],
    [['stray'], /Unexpected argument 'stray'/],
  ])('says what to fix in %p', (argv, message) => {
    // Act
    const parsed = parseImportArgs(argv, '/w');

    // Assess
    expect(parsed).toEqual({ error: expect.stringMatching(message) });
    expect(parsed).toEqual({ error: expect.stringMatching(/Run with --help/) });
  });
});

describe('formatSummary', () => {
  it('puts the imported and the unchanged counts on one line', () => {
    // Prepare
    const counts = {
      ...emptyCounts(),
      users: 1000,
      usersWithManager: 999,
      policies: 3,
      alerts: 70,
      cases: 70,
      memberships: 1,
      rejected: 121,
    };

    // Act
    const summary = formatSummary(addCounts(counts, emptyCounts()));

    // Assess
    expect(summary).toBe(
      'Imported 1000 users (999 with a manager), 3 policies, 70 alerts, ' +
        '70 cases, 1 policy membership; 121 rows rejected; unchanged: ' +
        '0 users, 0 policies, 0 alerts, 0 cases, 0 policy memberships',
    );
  });
});

describe('streamReport', () => {
  it('writes progress at most once a second', () => {
    // Prepare
    const lines: string[] = [];
    const stream = { write: (line: string) => lines.push(line) };
    let clock = 0;
    const report = streamReport(
      stream as unknown as NodeJS.WritableStream,
      () => clock,
    );

    // Act
    report.progress('users.csv', 100);
    clock = 1500;
    report.progress('/data/users.csv', 200);
    report.progress('users.csv', 300);

    // Assess
    expect(lines).toEqual(['users.csv: 200 rows done\n']);
  });

  it('writes a rejected row with its file and line', () => {
    // Prepare
    const lines: string[] = [];
    const stream = { write: (line: string) => lines.push(line) };
    const report = streamReport(stream as unknown as NodeJS.WritableStream);

    // Act
    report.rejected({
      file: '/d/users.csv',
      where: 'line 4',
      reason: 'bad email',
    });

    // Assess
    expect(lines).toEqual(['rejected: users.csv line 4: bad email\n']);
  });
});

describe('localDataRoot', () => {
  it('follows IRM_DATA_DIR as npm start does', () => {
    process.env.IRM_DATA_DIR = '/tmp/irm-elsewhere';
    try {
      expect(localDataRoot('/repo')).toBe('/tmp/irm-elsewhere');
    } finally {
      delete process.env.IRM_DATA_DIR;
    }
    expect(localDataRoot('/repo')).toBe('/repo/.local');
  });
});

describe('runningStack', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'import-stack-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const rootWith = (content: object): string => {
    const root = mkdtempSync(join(scratch, 'root-'));
    mkdirSync(localDataRoot(root));
    writeFileSync(
      join(localDataRoot(root), 'stack.json'),
      JSON.stringify(content),
    );

    return root;
  };

  it('finds the stack whose process is alive', async () => {
    // Prepare
    const root = rootWith({
      pid: process.pid,
      dynamodbEndpoint: 'http://127.0.0.1:8000',
      stage: 'local',
    });

    // Act
    const stack = await runningStack(root);

    // Assess
    expect(stack).toEqual(
      expect.objectContaining({ dynamodbEndpoint: 'http://127.0.0.1:8000' }),
    );
  });

  it('ignores a stack file left by a process that ended', async () => {
    // Prepare
    const root = rootWith({
      pid: 2 ** 22 + 1,
      dynamodbEndpoint: 'http://127.0.0.1:8000',
      stage: 'local',
    });

    // Act
    const stack = await runningStack(root);

    // Assess
    expect(stack).toBeUndefined();
  });

  it('reads no stack where there is no stack file', async () => {
    // Act
    const stack = await runningStack(mkdtempSync(join(scratch, 'none-')));

    // Assess
    expect(stack).toBeUndefined();
  });
});
