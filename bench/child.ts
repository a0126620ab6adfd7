import { writeFileSync } from 'node:fs';
import { runApiRead } from './api-read.js';
import { runColdStart } from './cold-start.js';
import { runCost } from './cost.js';
import { settingsFor } from './options.js';
import { runOverhead } from './overhead.js';
import { runScale } from './scale.js';
import { runThroughput } from './throughput.js';

/**
 * Runs one benchmark in this (fresh) process and writes its result as JSON
 * to the file named by BENCH_RESULT_FILE. Each benchmark gets its own
 * process so that one's data, histories and peak memory do not leak into
 * the next.
 */
const BENCHMARKS: Readonly<
  Record<string, (quick: boolean) => Promise<unknown>>
> = {
  overhead: (quick) => runOverhead(settingsFor(quick)),
  'cold-start': (quick) => runColdStart(settingsFor(quick)),
  cost: (quick) => runCost(settingsFor(quick)),
  api: (quick) => runApiRead(settingsFor(quick)),
  throughput: (quick) => runThroughput(settingsFor(quick)),
  'scale-small': (quick) => runScale(settingsFor(quick), 'small'),
  'scale-large': (quick) => runScale(settingsFor(quick), 'large'),
};

const main = async (): Promise<void> => {
  const [name = '', ...flags] = process.argv.slice(2);
  const benchmark = BENCHMARKS[name];
  const file = process.env.BENCH_RESULT_FILE;
  if (!benchmark || !file) {
    throw new Error(
      `Usage: BENCH_RESULT_FILE=… child.ts <${Object.keys(BENCHMARKS).join('|')}>`,
    );
  }
  const result = await benchmark(flags.includes('--quick'));
  writeFileSync(file, JSON.stringify(result, null, 2));
};

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  },
);
