import { performance } from 'node:perf_hooks';
import { floorCalls, productClients, replay } from './calls.js';
import { type BenchStack, startBenchStack, startRun } from './harness.js';
import { type BenchSettings, concurrencyLevels } from './options.js';
import { recordOneRun } from './overhead.js';
import type { Subject } from './seed.js';
import { round, type Summary, summarise } from './stats.js';
import {
  type PreparedTemplate,
  prepareTemplate,
  runAlone,
  TEMPLATE_SETUPS,
} from './templates.js';
import {
  compareCounts,
  type DeliveryCheck,
  emailsByRecipient,
  flowNotesByRun,
  mailboxOverHttp,
} from './verify.js';

/** Runs per second at one level of concurrent starters. */
export interface ThroughputLevel {
  readonly starters: number;
  readonly runs: number;
  readonly seconds: number;
  readonly runsPerSecond: number;
  /** Start → readable final status, per run, under this load. */
  readonly latency: Summary;
  /** Starts refused, runs that timed out or did not end SUCCEEDED. */
  readonly errors: number;
  /** CPU time of this process ÷ wall time: 1.0 is one core kept busy. */
  readonly coresBusy: number;
  /** The floor's replayed call sequences per second at this level. */
  readonly floorPerSecond: number;
  /** Floor per second ÷ runs per second. */
  readonly ratio: number;
}

export interface ThroughputResult {
  readonly levels: ThroughputLevel[];
  /** Manager emails: one per run expected (one manager per case). */
  readonly emails: DeliveryCheck;
  /** Flow notes: one per run expected. */
  readonly notes: DeliveryCheck;
}

const NOTIFY_MANAGER = TEMPLATE_SETUPS[0];

/** Notify-manager runs per second with 1, 8 and 32 concurrent starters. */
export const runThroughput = async (
  settings: BenchSettings,
): Promise<ThroughputResult> => {
  const bench = await startBenchStack(0);
  try {
    const levels = concurrencyLevels(settings);
    const { prepared, subjects } = await prepare(bench, settings);
    const recorded = await recordOneRun(bench, prepared, subjects.shift());
    const measured = [...subjects];
    const results = [];
    for (const starters of levels) {
      const batch = subjects.splice(0, settings.throughputRuns[starters] ?? 0);
      results.push({
        starters,
        ...(await measureLevel(bench, prepared, batch, starters)),
      });
    }
    // Checked before the floor replays, whose emails go to one manager.
    const checks = await checkDeliveries(bench, measured);
    const withFloor: ThroughputLevel[] = [];
    for (const level of results) {
      const perSecond = await floorRate(recorded, level.starters, level.runs);
      withFloor.push({
        ...level,
        floorPerSecond: round(perSecond),
        ratio: round(perSecond / level.runsPerSecond),
      });
    }

    return { levels: withFloor, ...checks };
  } finally {
    await bench.close();
  }
};

/**
 * The flow, one case per run with its own manager (so that each manager
 * address should get exactly one email), and warm-up runs done.
 */
const prepare = async (bench: BenchStack, settings: BenchSettings) => {
  if (!NOTIFY_MANAGER) throw new Error('notify-manager setup missing');
  const total = Object.values(settings.throughputRuns).reduce(
    (sum, runs) => sum + runs,
    0,
  );
  const count = total + settings.warmupRuns + 1;
  const prepared = await prepareTemplate(bench, NOTIFY_MANAGER, count, 1);
  const subjects = [...prepared.subjects];
  for (const subject of subjects.splice(0, settings.warmupRuns)) {
    await runAlone(bench, prepared, subject);
  }

  return { prepared, subjects };
};

const measureLevel = async (
  bench: BenchStack,
  prepared: PreparedTemplate,
  batch: readonly Subject[],
  starters: number,
) => {
  const queue = [...batch];
  const latencies: number[] = [];
  let errors = 0;
  const starter = async () => {
    for (let subject = queue.shift(); subject; subject = queue.shift()) {
      const ok = await runOne(bench, prepared, subject, latencies);
      if (!ok) errors += 1;
    }
  };
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: starters }, starter));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await bench.stack.stepFunctions.idle();
  process.stderr.write(`  throughput ${starters} starters done\n`);

  return {
    runs: batch.length,
    seconds: round(seconds),
    runsPerSecond: round(batch.length / seconds),
    latency: summarise(latencies),
    errors,
    coresBusy: round((cpu.user + cpu.system) / 1e6 / seconds),
  };
};

const runOne = async (
  bench: BenchStack,
  prepared: PreparedTemplate,
  subject: Subject,
  latencies: number[],
): Promise<boolean> => {
  const started = performance.now();
  try {
    const target = { caseId: subject.caseId ?? '' };
    const start = await startRun(bench.api, prepared.flowId, target);
    if (start.status !== 202 || !start.runId) return false;
    const end = await bench.watcher.wait(start.runId);
    bench.watcher.forget(start.runId);
    latencies.push(end.at - started);

    return end.status === 'SUCCEEDED';
  } catch {
    return false;
  }
};

/**
 * Each case has its own manager, so each manager address should hold
 * exactly one email, and each run exactly one flow note on its case.
 */
const checkDeliveries = async (
  bench: BenchStack,
  subjects: readonly Subject[],
): Promise<{ emails: DeliveryCheck; notes: DeliveryCheck }> => {
  const emails = await mailboxOverHttp(bench.stack.mailboxUrl);
  const expectedEmails = new Map(subjects.map((s) => [s.managerEmail, 1]));
  const caseIds = subjects.map((subject) => subject.caseId ?? '');
  const notesByRun = await flowNotesByRun(caseIds);
  const runIds = await runIdsOf(caseIds);

  return {
    emails: compareCounts(expectedEmails, emailsByRecipient(emails)),
    notes: compareCounts(new Map(runIds.map((id) => [id, 1])), notesByRun),
  };
};

/** The runs started on these cases, from the runs table. */
const runIdsOf = async (caseIds: readonly string[]): Promise<string[]> => {
  const { dynamo } = await import('../functions/domain/clients.js');
  const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
  const wanted = new Set(caseIds);
  const runIds: string[] = [];
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.send(
      new ScanCommand({
        TableName: process.env.RUNS_TABLE,
        ExclusiveStartKey: cursor,
      }),
    );
    for (const run of page.Items ?? []) {
      const target = run.target as { caseId?: string } | undefined;
      if (target?.caseId && wanted.has(target.caseId)) {
        runIds.push(String(run.runId));
      }
    }
    cursor = page.LastEvaluatedKey;
  } while (cursor);

  return runIds;
};

/** The recorded call sequence replayed `count` times by `workers` loops. */
const floorRate = async (
  recorded: Awaited<ReturnType<typeof recordOneRun>>,
  workers: number,
  count: number,
): Promise<number> => {
  const clients = await productClients();
  const calls = floorCalls(recorded.calls);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < count; index = next++) {
      const freshId = `${recorded.runId}T${workers}x${index}`;
      await replay(calls, recorded.runId, freshId, clients);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: workers }, worker));

  return count / ((performance.now() - started) / 1000);
};
