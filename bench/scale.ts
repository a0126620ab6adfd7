import { performance } from 'node:perf_hooks';
import {
  ADMIN,
  type BenchStack,
  createFlow,
  IRM,
  startBenchStack,
  startRun,
} from './harness.js';
import {
  factsOf,
  listExecutionArns,
  machineArnOf,
  readHistory,
  spreadSample,
} from './history.js';
import type { BenchSettings } from './options.js';
import {
  BENCH_POLICY,
  type Subject,
  seedPolicy,
  seedSubjects,
} from './seed.js';
import { forEachLimited, round } from './stats.js';
import {
  compareCounts,
  type DeliveryCheck,
  mailboxInProcess,
  type StoredEmail,
} from './verify.js';

/** Notify-users for a policy of `users` people added at once. */
export interface ScaleResult {
  readonly users: number;
  /** How runs started: by the policy-member-added trigger, or one POST each. */
  readonly startedBy: 'trigger' | 'api';
  /** Writing the directory (setup, not judged). */
  readonly seedSeconds: number;
  readonly addSeconds: number;
  readonly runSeconds: number;
  /** From the first add to the last run's readable final status. */
  readonly wallSeconds: number;
  /** Runs refused or not SUCCEEDED (explicit starts), else 0. */
  readonly failedRuns: number;
  readonly peakRssMb: number;
  /** RSS once the stack had started, before any data was written. */
  readonly startRssMb: number;
  /** What the run left in memory, after a full garbage collection. */
  readonly retained: RetainedMemory;
  readonly executions: number;
  readonly succeeded: number;
  readonly historiesRead: number;
  readonly largestPayloadBytes: number;
  /** Most emails handed to SES in one second. */
  readonly peakEmailsPerSecond: number;
  readonly emails: DeliveryCheck;
}

/** Memory still held after the run, beyond what the fresh stack held. */
export interface RetainedMemory {
  /** JavaScript objects: execution histories, the mailbox, caches. */
  readonly heapMb: number;
  /** Buffers outside the heap: dynalite's in-memory LevelDB, sockets. */
  readonly buffersMb: number;
}

interface MemoryPoint {
  readonly heap: number;
  readonly buffers: number;
}

/** Heap and buffer bytes after a full collection (when --expose-gc). */
const memoryNow = (): MemoryPoint => {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();

  return { heap: usage.heapUsed, buffers: usage.arrayBuffers };
};

const retainedSince = (before: MemoryPoint): RetainedMemory => {
  const after = memoryNow();
  const toMb = (bytes: number) => round(bytes / 1024 ** 2);

  return {
    heapMb: toMb(after.heap - before.heap),
    buffersMb: toMb(after.buffers - before.buffers),
  };
};

/** Runs the scale benchmark at the small or the large size. */
export const runScale = async (
  settings: BenchSettings,
  size: 'small' | 'large',
): Promise<ScaleResult> => {
  const users = settings.scaleSizes[size === 'small' ? 0 : 1];
  const bench = await startBenchStack(0);
  const startRssMb = round(process.memoryUsage().rss / 1024 ** 2);
  const fresh = memoryNow();
  try {
    const seedStarted = performance.now();
    await seedPolicy();
    const subjects = await seedSubjects({
      prefix: 'scale',
      count: users + 1,
      perManager: 10,
    });
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const probe = subjects.pop() as Subject;
    const route = await chooseRoute(bench, probe);
    const sendTimes = watchSends(bench);
    const timing = await addAndRun(bench, route, subjects, settings);
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const facts = await payloadFacts(settings.payloadSample);

    return {
      users,
      startedBy: route.startedBy,
      seedSeconds: round(seedSeconds),
      ...timing,
      peakRssMb: round(peakRssMb),
      startRssMb,
      retained: retainedSince(fresh),
      ...facts,
      peakEmailsPerSecond: peakPerSecond(sendTimes),
      emails: checkEmails(subjects, await mailboxInProcess()),
    };
  } finally {
    await bench.close();
  }
};

interface Route {
  readonly startedBy: 'trigger' | 'api';
  /** The flow explicit runs start; unused when the trigger starts them. */
  readonly flowId: string;
}

/**
 * Uses the event trigger when this stack has one: a flow with
 * `trigger: 'policy-member-added'` is created and one probe person added; if
 * a run follows within five seconds, additions start the runs. Otherwise
 * that flow is deleted and runs are started one POST per person.
 */
const chooseRoute = async (
  bench: BenchStack,
  probe: Subject,
): Promise<Route> => {
  const triggered = await createFlow(
    bench.api,
    'notify-users',
    {},
    'policy-member-added',
  );
  if (triggered.status === 201) {
    const before = bench.watcher.endedCount;
    await addMember(bench, probe);
    if (await waitFor(() => bench.watcher.endedCount > before, 5_000)) {
      return { startedBy: 'trigger', flowId: triggered.flowId };
    }
    await bench.api.call('DELETE', `/flows/${triggered.flowId}`, IRM);
  }
  const plain = await createFlow(bench.api, 'notify-users');

  return { startedBy: 'api', flowId: plain.flowId };
};

const waitFor = async (test: () => boolean, ms: number): Promise<boolean> => {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (test()) return true;
    await new Promise((done) => setTimeout(done, 20));
  }

  return test();
};

const addMember = async (bench: BenchStack, subject: Subject) => {
  const path = `/policies/${BENCH_POLICY.policyId}/users`;
  const answer = await bench.api.call('POST', path, ADMIN, {
    userId: subject.userId,
  });
  if (answer.status !== 201) throw new Error(`POST ${path}: ${answer.status}`);
};

const addAndRun = async (
  bench: BenchStack,
  route: Route,
  subjects: readonly Subject[],
  settings: BenchSettings,
) => {
  const limit = settings.scaleConcurrency;
  const endedBefore = bench.watcher.endedCount;
  const started = performance.now();
  await forEachLimited(subjects, limit, (subject) => addMember(bench, subject));
  const added = performance.now();
  let failedStarts = 0;
  if (route.startedBy === 'api') {
    await forEachLimited(subjects, limit, async (subject) => {
      if (!(await runToEnd(bench, route.flowId, subject))) failedStarts += 1;
    });
  }
  const target = endedBefore + subjects.length;
  await waitFor(() => bench.watcher.endedCount >= target, 1_800_000);
  await bench.stack.stepFunctions.idle();
  const ended = performance.now();
  process.stderr.write(`  scale ${subjects.length} done\n`);

  return {
    addSeconds: round((added - started) / 1000),
    runSeconds: round((ended - added) / 1000),
    wallSeconds: round((ended - started) / 1000),
    failedRuns: failedStarts,
  };
};

/** Starts one run and waits for it; false when it was refused or failed. */
const runToEnd = async (
  bench: BenchStack,
  flowId: string,
  subject: Subject,
): Promise<boolean> => {
  try {
    const target = { userId: subject.userId };
    const start = await startRun(bench.api, flowId, target);
    if (start.status !== 202 || !start.runId) return false;
    const end = await bench.watcher.wait(start.runId);
    bench.watcher.forget(start.runId);

    return end.status === 'SUCCEEDED';
  } catch {
    return false;
  }
};

/** Times at which send-email invocations returned, in ms. */
const watchSends = (bench: BenchStack): number[] => {
  const times: number[] = [];
  bench.watcher.listen((call) => {
    if (call.name === 'send-email' && !call.failed)
      times.push(performance.now());
  });

  return times;
};

const peakPerSecond = (times: readonly number[]): number => {
  const perSecond = new Map<number, number>();
  for (const time of times) {
    const second = Math.floor(time / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }

  return Math.max(0, ...perSecond.values());
};

const payloadFacts = async (sample: number) => {
  const { sfn } = await import('../functions/domain/clients.js');
  const executions = await listExecutionArns(sfn, machineArnOf('notify-users'));
  const picked = spreadSample(executions, sample);
  let largest = 0;
  for (const execution of picked) {
    const facts = factsOf(await readHistory(sfn, execution.arn));
    largest = Math.max(largest, facts.largestPayloadBytes);
  }

  return {
    executions: executions.length,
    succeeded: executions.filter((e) => e.status === 'SUCCEEDED').length,
    historiesRead: picked.length,
    largestPayloadBytes: largest,
  };
};

const PERSON = /Bench Person \S+ \d{6}/;

/** recipient|person: the person an email is about (its own reader or not). */
const emailKey = (email: StoredEmail): string[] => {
  const person = PERSON.exec(email.body.text ?? email.body.html ?? '')?.[0];

  return email.destination.to.map((to) => `${to}|${person ?? '?'}`);
};

/**
 * Two emails per person: one to them, one to their manager about them. The
 * names show because pseudonymisation is off; with it on, the aliases would
 * hide who an email is about, and only totals per address are compared.
 */
const checkEmails = (
  subjects: readonly Subject[],
  emails: readonly StoredEmail[],
): DeliveryCheck => {
  const expected = new Map<string, number>();
  for (const subject of subjects) {
    expected.set(`${subject.email}|${subject.displayName}`, 1);
    expected.set(`${subject.managerEmail}|${subject.displayName}`, 1);
  }
  const received = new Map<string, number>();
  for (const key of emails.flatMap(emailKey)) {
    received.set(key, (received.get(key) ?? 0) + 1);
  }

  return compareCounts(expected, received);
};
