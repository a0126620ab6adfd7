import { performance } from 'node:perf_hooks';
import { type BenchStack, createFlow, runStatus, startRun } from './harness.js';
import {
  addToPolicyDirectly,
  type Subject,
  seedPolicy,
  seedSubjects,
} from './seed.js';

/** How a template is run by the benchmarks. */
export interface TemplateSetup {
  readonly templateId: string;
  /** What a run acts on. */
  readonly target: 'case' | 'user';
  /** Flow settings beyond the template's defaults. */
  readonly settings: Record<string, unknown>;
}

/** Two stakeholders who never answer: request, reminder, deadline note. */
export const STAKEHOLDERS = [
  { email: 'hr.partner@bench.example', name: 'HR partner' },
  { email: 'unit.lead@bench.example', name: 'Unit lead' },
];

/** The four templates, in the order of the report. */
export const TEMPLATE_SETUPS: readonly TemplateSetup[] = [
  { templateId: 'notify-manager', target: 'case', settings: {} },
  { templateId: 'notify-users', target: 'user', settings: {} },
  {
    templateId: 'request-info',
    target: 'case',
    settings: { stakeholders: STAKEHOLDERS },
  },
  { templateId: 'servicenow-record', target: 'case', settings: {} },
];

/** A flow of a template with people and cases to run it on. */
export interface PreparedTemplate {
  readonly setup: TemplateSetup;
  readonly flowId: string;
  readonly subjects: readonly Subject[];
}

/**
 * Creates the flow and `count` subjects, each with a case and 3 alerts;
 * `perManager` subjects share a manager.
 */
export const prepareTemplate = async (
  bench: BenchStack,
  setup: TemplateSetup,
  count: number,
  perManager = 10,
): Promise<PreparedTemplate> => {
  const flow = await createFlow(bench.api, setup.templateId, setup.settings);
  if (flow.status !== 201) {
    throw new Error(`POST /flows ${setup.templateId}: ${flow.status}`);
  }
  const subjects = await seedSubjects({
    prefix: setup.templateId.replace(/[^a-z]/g, ''),
    count,
    perManager,
    alertsPerCase: 3,
  });
  if (setup.target === 'user') {
    await seedPolicy();
    await addToPolicyDirectly(subjects);
  }

  return { setup, flowId: flow.flowId, subjects };
};

/** The body of `POST /flows/{flowId}/runs` for a subject. */
export const runTarget = (
  setup: TemplateSetup,
  subject: Subject,
): Record<string, string> =>
  setup.target === 'user'
    ? { userId: subject.userId }
    : { caseId: subject.caseId ?? '' };

/** One run, timed from the POST to its readable final status. */
export interface TimedRun {
  readonly runId: string;
  /** ms from before the POST to the moment the final status was written. */
  readonly toStatusMs: number;
  /** ms to the moment the local endpoint had no execution left running. */
  readonly toIdleMs: number;
  /** The status `GET /runs/{runId}` shows afterwards. */
  readonly status: string;
}

/**
 * Runs a flow on one subject and waits for it, alone on the stack.
 * `ended` is called once the execution is over, before the status is read
 * back through the API (so a recording can stop first).
 */
export const runAlone = async (
  bench: BenchStack,
  prepared: PreparedTemplate,
  subject: Subject,
  ended: () => void = () => undefined,
): Promise<TimedRun> => {
  const started = performance.now();
  const target = runTarget(prepared.setup, subject);
  const start = await startRun(bench.api, prepared.flowId, target);
  if (start.status !== 202 || !start.runId) {
    throw new Error(`POST runs of ${prepared.flowId}: ${start.status}`);
  }
  const end = await bench.watcher.wait(start.runId);
  await bench.stack.stepFunctions.idle();
  const idle = performance.now();
  bench.watcher.forget(start.runId);
  ended();

  return {
    runId: start.runId,
    toStatusMs: end.at - started,
    toIdleMs: idle - started,
    status: await runStatus(bench.api, start.runId),
  };
};
