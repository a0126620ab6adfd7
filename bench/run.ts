import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { renderResults, spliceResults } from './report.js';
import {
  BENCHMARK_NAMES,
  type BenchmarkName,
  type BenchResults,
  type Machine,
  type Measured,
} from './results.js';

/**
 * `npm run bench [-- --quick] [-- --only=overhead,api]`: runs each
 * benchmark in its own Node process, one after the other, then writes
 * bench/results.json and the generated section of docs/benchmarks.md.
 * `--only` re-measures some benchmarks and keeps the others' last results.
 */

const RESULTS_FILE = join('bench', 'results.json');
const DOC_FILE = join('docs', 'benchmarks.md');

const machine = (): Machine => {
  const [first] = cpus();

  return {
    cpuModel: first?.model.trim() ?? 'unknown',
    cpuCount: cpus().length,
    cpuMhz: first?.speed ?? 0,
    memoryGb: totalmem() / 1024 ** 3,
    node: process.version,
    os: `${type()} ${release()}`,
    commit: commitOf(),
  };
};

const commitOf = (): string => {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'])
      .toString()
      .trim();
    const dirty = execFileSync('git', ['status', '--porcelain'])
      .toString()
      .trim();

    return dirty ? `${head} + uncommitted changes` : head;
  } catch {
    return 'unknown';
  }
};

const loadNow = (): number[] => loadavg().map((v) => Number(v.toFixed(2)));

/**
 * Starts one benchmark's process and resolves with its exit code. Its
 * output goes to the log file; progress lines (two spaces in) are echoed.
 */
const spawnChild = (
  name: BenchmarkName,
  quick: boolean,
  resultFile: string,
  logFile: string,
): Promise<number> =>
  new Promise((done) => {
    const log = openSync(logFile, 'a');
    const child = spawn(
      process.execPath,
      [
        // The scale benchmark collects garbage before reading what stays.
        '--expose-gc',
        '--import',
        'tsx',
        join('bench', 'child.ts'),
        name,
        ...(quick ? ['--quick'] : []),
      ],
      {
        env: { ...process.env, BENCH_RESULT_FILE: resultFile },
        stdio: ['ignore', log, 'pipe'],
      },
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      if (/^ {2}\S/m.test(text)) process.stderr.write(text);
      writeSync(log, text);
    });
    child.on('close', (exit) => {
      closeSync(log);
      done(exit ?? 1);
    });
  });

/** Runs one benchmark and says when, how long, under what load. */
const runChild = async (
  name: BenchmarkName,
  quick: boolean,
  folder: string,
): Promise<Measured<unknown>> => {
  const resultFile = join(folder, `${name}.json`);
  const logFile = join(folder, `${name}.log`);
  const loadBefore = loadNow();
  const started = Date.now();
  const code = await spawnChild(name, quick, resultFile, logFile);
  const common = {
    measuredAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    loadBefore,
    loadAfter: loadNow(),
    quick,
  };
  if (code !== 0 || !existsSync(resultFile)) {
    const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-3);

    return {
      ...common,
      error: `exit ${code}; log ${logFile}: ${tail.join(' ')}`,
    };
  }

  return { ...common, result: JSON.parse(readFileSync(resultFile, 'utf8')) };
};

const previous = (): BenchResults['benchmarks'] => {
  if (!existsSync(RESULTS_FILE)) return {};

  return (JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as BenchResults)
    .benchmarks;
};

const chosen = (args: readonly string[]): BenchmarkName[] => {
  const only = args.find((arg) => arg.startsWith('--only='));
  if (!only) return [...BENCHMARK_NAMES];
  const names = only.slice('--only='.length).split(',');
  const unknown = names.filter(
    (n) => !BENCHMARK_NAMES.includes(n as BenchmarkName),
  );
  if (unknown.length > 0) {
    throw new Error(
      `Unknown benchmarks: ${unknown.join(', ')}; know ${BENCHMARK_NAMES.join(', ')}`,
    );
  }

  return names as BenchmarkName[];
};

const main = async (): Promise<void> => {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = chosen(args);
  const benchmarks: Record<string, Measured<unknown>> = names.length <
  BENCHMARK_NAMES.length
    ? { ...previous() }
    : {};
  const folder = mkdtempSync(join(tmpdir(), 'irm-bench-'));
  const started = Date.now();
  process.stderr.write(
    `Benchmarks (${quick ? 'quick' : 'full'}); logs in ${folder}\n`,
  );
  for (const name of names) {
    process.stderr.write(`${name}: load ${loadNow().join(' ')}\n`);
    benchmarks[name] = await runChild(name, quick, folder);
    const { seconds, error } = benchmarks[name];
    process.stderr.write(
      `${name}: ${error ? `FAILED ${error}` : `${seconds.toFixed(0)} s`}\n`,
    );
  }
  const results: BenchResults = {
    machine: machine(),
    writtenAt: new Date().toISOString(),
    benchmarks,
  };
  writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
  const document = existsSync(DOC_FILE)
    ? readFileSync(DOC_FILE, 'utf8')
    : '# Benchmarks\n';
  writeFileSync(DOC_FILE, spliceResults(document, renderResults(results)));
  const failures = Object.values(benchmarks).filter((m) => m.error).length;
  if (failures === 0) rmSync(folder, { recursive: true, force: true });
  process.stderr.write(
    `Done in ${((Date.now() - started) / 1000).toFixed(0)} s: ${RESULTS_FILE}, ${DOC_FILE}\n`,
  );
  process.exitCode = failures > 0 ? 1 : 0;
};

await main();
