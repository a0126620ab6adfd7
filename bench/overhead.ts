import { performance } from 'node:perf_hooks';
import {
  CallRecorder,
  floorCalls,
  type ProductClients,
  productClients,
  type RecordedCall,
  replay,
} from './calls.js';
import {
  type BenchStack,
  type Invocation,
  startBenchStack,
} from './harness.js';
import type { BenchSettings } from './options.js';
import { round, type Summary, summarise } from './stats.js';
import {
  type PreparedTemplate,
  prepareTemplate,
  runAlone,
  TEMPLATE_SETUPS,
} from './templates.js';

/** Orchestration overhead of one template against its floor. */
export interface OverheadResult {
  readonly templateId: string;
  readonly runs: Summary;
  /** Same runs, to the moment no execution was left on the endpoint. */
  readonly runsToIdle: Summary;
  readonly floor: Summary;
  readonly ratioMedian: number;
  readonly ratioP95: number;
  /** Calls of one run, by service; the floor replays all but sfn. */
  readonly calls: Readonly<Record<string, number>>;
  readonly lambdaInvocations: number;
  /** Runs that did not end SUCCEEDED. */
  readonly errors: number;
  /** Floor calls that failed (a refused write is still a round trip). */
  readonly floorErrors: number;
}

/** The overhead benchmark for every template, on one stack. */
export const runOverhead = async (
  settings: BenchSettings,
): Promise<{ privacyStatus: number; templates: OverheadResult[] }> => {
  const bench = await startBenchStack(0);
  try {
    const templates: OverheadResult[] = [];
    for (const setup of TEMPLATE_SETUPS) {
      const count = settings.warmupRuns + settings.overheadRuns + 1;
      const prepared = await prepareTemplate(bench, setup, count);
      templates.push(await measureTemplate(bench, prepared, settings));
    }

    return { privacyStatus: bench.privacyStatus, templates };
  } finally {
    await bench.close();
  }
};

const measureTemplate = async (
  bench: BenchStack,
  prepared: PreparedTemplate,
  settings: BenchSettings,
): Promise<OverheadResult> => {
  const subjects = [...prepared.subjects];
  for (const subject of subjects.splice(0, settings.warmupRuns)) {
    await runAlone(bench, prepared, subject);
  }
  const recorded = await recordOneRun(bench, prepared, subjects.shift());
  const clients = await productClients();
  const runs: number[] = [];
  const toIdle: number[] = [];
  const floor: number[] = [];
  let errors = 0;
  let floorErrors = 0;
  for (const [index, subject] of subjects.entries()) {
    const run = await runAlone(bench, prepared, subject);
    runs.push(run.toStatusMs);
    toIdle.push(run.toIdleMs);
    if (run.status !== 'SUCCEEDED') errors += 1;
    const timed = await timeFloor(recorded, index, clients);
    floor.push(timed.ms);
    floorErrors += timed.errors;
  }
  process.stderr.write(`  overhead ${prepared.setup.templateId} done\n`);

  return summariseTemplate(prepared, recorded, {
    runs,
    toIdle,
    floor,
    errors,
    floorErrors,
  });
};

/** A run's calls and invocations, recorded while it ran alone. */
export interface RecordedRun {
  readonly runId: string;
  readonly calls: RecordedCall[];
  readonly invocations: Invocation[];
  readonly status: string;
}

/** Runs once with every call recorded. */
export const recordOneRun = async (
  bench: BenchStack,
  prepared: PreparedTemplate,
  subject: PreparedTemplate['subjects'][number] | undefined,
  capacity = false,
): Promise<RecordedRun> => {
  if (!subject) throw new Error('No subject left to record a run on');
  const recorder = new CallRecorder({
    serviceNowUrl: bench.stack.serviceNow.url,
    capacity,
  });
  const invocations: Invocation[] = [];
  const stopListening = bench.watcher.listen((call) => invocations.push(call));
  const stop = () => {
    recorder.stop();
    stopListening();
  };
  await recorder.start();
  try {
    const run = await runAlone(bench, prepared, subject, stop);

    return {
      runId: run.runId,
      calls: recorder.calls,
      invocations,
      status: run.status,
    };
  } finally {
    stop();
  }
};

const timeFloor = async (
  recorded: RecordedRun,
  index: number,
  clients: ProductClients,
): Promise<{ ms: number; errors: number }> => {
  const calls = floorCalls(recorded.calls);
  const freshId = `${recorded.runId}F${index}`;
  const started = performance.now();
  const errors = await replay(calls, recorded.runId, freshId, clients);

  return { ms: performance.now() - started, errors };
};

const countBy = (calls: readonly RecordedCall[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const call of calls) {
    counts[call.service] = (counts[call.service] ?? 0) + 1;
  }

  return counts;
};

const summariseTemplate = (
  prepared: PreparedTemplate,
  recorded: RecordedRun,
  samples: {
    runs: number[];
    toIdle: number[];
    floor: number[];
    errors: number;
    floorErrors: number;
  },
): OverheadResult => {
  const runs = summarise(samples.runs);
  const floor = summarise(samples.floor);

  return {
    templateId: prepared.setup.templateId,
    runs,
    runsToIdle: summarise(samples.toIdle),
    floor,
    ratioMedian: round(runs.median / floor.median),
    ratioP95: round(runs.p95 / floor.p95),
    calls: countBy(recorded.calls),
    lambdaInvocations: recorded.invocations.length,
    errors: samples.errors,
    floorErrors: samples.floorErrors,
  };
};
