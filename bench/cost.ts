import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_FUNCTIONS } from '../functions/catalog.js';
import type { RecordedCall } from './calls.js';
import {
  type BenchStack,
  type Invocation,
  startBenchStack,
} from './harness.js';
import { factsOf, machineArnOf, readHistory } from './history.js';
import type { BenchSettings } from './options.js';
import { type RecordedRun, recordOneRun } from './overhead.js';
import { round } from './stats.js';
import {
  type PreparedTemplate,
  prepareTemplate,
  runAlone,
  TEMPLATE_SETUPS,
} from './templates.js';

/** A price from bench/prices.json. */
interface Price {
  readonly value: number;
}

/** bench/prices.json: us-east-1 list prices with their sources. */
export interface Prices {
  readonly retrieved: string;
  readonly stepFunctionsStandardPerTransition: Price;
  readonly stepFunctionsExpressPerRequest: Price;
  readonly stepFunctionsExpressPerGbSecond: Price;
  readonly lambdaArmPerRequest: Price;
  readonly lambdaArmPerGbSecond: Price;
  readonly dynamoDbPerReadRequestUnit: Price;
  readonly dynamoDbPerWriteRequestUnit: Price;
  readonly sesPerEmail: Price;
  readonly sesEssentialsPerEmail: Price;
  readonly httpApiPerRequest: Price;
}

/** Reads the price list kept beside the benchmarks. */
export const readPrices = (): Prices =>
  JSON.parse(
    readFileSync(join(process.cwd(), 'bench', 'prices.json'), 'utf8'),
  ) as Prices;

/** What one run makes AWS do, averaged over the instrumented runs. */
export interface RunOperations {
  readonly transitions: number;
  readonly lambdaInvocations: number;
  /** Sum over invocations of ms rounded up to 1 ms × memory in GB. */
  readonly lambdaGbSeconds: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly emails: number;
  readonly apiRequests: number;
  /** Local execution time, start to last event (Express bills it). */
  readonly executionMs: number;
}

/** Cost of 1,000 runs of a template, by service, in USD. */
export interface TemplateCost {
  readonly templateId: string;
  readonly runsMeasured: number;
  readonly perRun: RunOperations;
  readonly per1000: {
    readonly stateTransitions: number;
    readonly lambda: number;
    readonly dynamoDb: number;
    readonly ses: number;
    readonly api: number;
    readonly standardTotal: number;
    /** Undefined where a run waits longer than Express allows. */
    readonly expressTotal?: number;
    /** The work alone: DynamoDB and SES, as a direct script pays them. */
    readonly workOnly: number;
  };
  /** Whether Express could run it: no Wait state, under five minutes. */
  readonly expressPossible: boolean;
}

const memoryMbOf = (name: string): number =>
  ALL_FUNCTIONS.find((spec) => spec.name === name)?.memoryMb ?? 512;

const billedGbSeconds = (calls: readonly Invocation[]): number =>
  calls.reduce(
    (sum, call) =>
      sum +
      (Math.ceil(call.durationMs) / 1000) * (memoryMbOf(call.name) / 1024),
    0,
  );

const units = (calls: readonly RecordedCall[], kind: 'read' | 'write') =>
  calls.reduce(
    (sum, call) =>
      sum + ((kind === 'read' ? call.readUnits : call.writeUnits) ?? 0),
    0,
  );

const operationsOf = async (
  run: RecordedRun,
  templateId: string,
): Promise<RunOperations> => {
  const { sfn } = await import('../functions/domain/clients.js');
  const machineArn = machineArnOf(templateId);
  const executionArn = `${machineArn.replace(':stateMachine:', ':execution:')}:${run.runId}`;
  const facts = factsOf(await readHistory(sfn, executionArn));

  return {
    transitions: facts.transitions,
    lambdaInvocations: run.invocations.length,
    lambdaGbSeconds: billedGbSeconds(run.invocations),
    readUnits: units(run.calls, 'read'),
    writeUnits: units(run.calls, 'write'),
    emails: run.calls.filter((c) => c.operation === 'SendEmailCommand').length,
    apiRequests: run.invocations.filter((i) => i.name === 'api').length,
    executionMs: facts.durationMs,
  };
};

const average = (runs: readonly RunOperations[]): RunOperations => {
  const mean = (pick: (run: RunOperations) => number) =>
    runs.reduce((sum, run) => sum + pick(run), 0) / Math.max(1, runs.length);

  return {
    transitions: mean((r) => r.transitions),
    lambdaInvocations: mean((r) => r.lambdaInvocations),
    lambdaGbSeconds: mean((r) => r.lambdaGbSeconds),
    readUnits: mean((r) => r.readUnits),
    writeUnits: mean((r) => r.writeUnits),
    emails: mean((r) => r.emails),
    apiRequests: mean((r) => r.apiRequests),
    executionMs: mean((r) => r.executionMs),
  };
};

/** Express bills duration in 100 ms steps at 64 MB (one chunk). */
const EXPRESS_GB = 64 / 1024;

/** Prices one run's operations, times 1,000. */
export const priceOf = (
  ops: RunOperations,
  prices: Prices,
  expressPossible: boolean,
): TemplateCost['per1000'] => {
  const lambda =
    ops.lambdaInvocations * prices.lambdaArmPerRequest.value +
    ops.lambdaGbSeconds * prices.lambdaArmPerGbSecond.value;
  const dynamoDb =
    ops.readUnits * prices.dynamoDbPerReadRequestUnit.value +
    ops.writeUnits * prices.dynamoDbPerWriteRequestUnit.value;
  const ses = ops.emails * prices.sesPerEmail.value;
  const api = ops.apiRequests * prices.httpApiPerRequest.value;
  const transitions =
    ops.transitions * prices.stepFunctionsStandardPerTransition.value;
  const billedSeconds = Math.ceil(Math.max(1, ops.executionMs) / 100) / 10;
  const express =
    prices.stepFunctionsExpressPerRequest.value +
    billedSeconds * EXPRESS_GB * prices.stepFunctionsExpressPerGbSecond.value;
  const rest = lambda + dynamoDb + ses + api;

  return {
    stateTransitions: round(transitions * 1000, 4),
    lambda: round(lambda * 1000, 4),
    dynamoDb: round(dynamoDb * 1000, 4),
    ses: round(ses * 1000, 4),
    api: round(api * 1000, 4),
    standardTotal: round((transitions + rest) * 1000, 4),
    ...(expressPossible
      ? { expressTotal: round((express + rest) * 1000, 4) }
      : {}),
    workOnly: round((dynamoDb + ses) * 1000, 4),
  };
};

/** Templates with a Wait state run for days: Standard only. */
const waits = (templateId: string): boolean =>
  readFileSync(
    join(process.cwd(), 'statemachines', `${templateId}.asl.json`),
    'utf8',
  ).includes('"Type": "Wait"');

const costOfTemplate = async (
  bench: BenchStack,
  prepared: PreparedTemplate,
  settings: BenchSettings,
  prices: Prices,
): Promise<TemplateCost> => {
  const subjects = [...prepared.subjects];
  const first = subjects.shift();
  if (first) await runAlone(bench, prepared, first);
  const runs: RunOperations[] = [];
  for (const subject of subjects.slice(0, settings.costRuns)) {
    const recorded = await recordOneRun(bench, prepared, subject, true);
    runs.push(await operationsOf(recorded, prepared.setup.templateId));
  }
  const perRun = average(runs);
  const expressPossible = !waits(prepared.setup.templateId);

  return {
    templateId: prepared.setup.templateId,
    runsMeasured: runs.length,
    perRun: roundOperations(perRun),
    per1000: priceOf(perRun, prices, expressPossible),
    expressPossible,
  };
};

const roundOperations = (ops: RunOperations): RunOperations => ({
  transitions: round(ops.transitions),
  lambdaInvocations: round(ops.lambdaInvocations),
  lambdaGbSeconds: round(ops.lambdaGbSeconds),
  readUnits: round(ops.readUnits),
  writeUnits: round(ops.writeUnits),
  emails: round(ops.emails),
  apiRequests: round(ops.apiRequests),
  executionMs: round(ops.executionMs),
});

/** The cost model: every template, instrumented runs, list prices. */
export const runCost = async (
  settings: BenchSettings,
): Promise<{ prices: Prices; templates: TemplateCost[] }> => {
  const prices = readPrices();
  const bench = await startBenchStack(0);
  try {
    const templates: TemplateCost[] = [];
    for (const setup of TEMPLATE_SETUPS) {
      const prepared = await prepareTemplate(
        bench,
        setup,
        settings.costRuns + 1,
      );
      templates.push(await costOfTemplate(bench, prepared, settings, prices));
    }
    process.stderr.write('  cost done\n');

    return { prices, templates };
  } finally {
    await bench.close();
  }
};
