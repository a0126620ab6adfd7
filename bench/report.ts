import type { LoadFigures } from './api-read.js';
import type { ColdStartResult } from './cold-start.js';
import type { TemplateCost } from './cost.js';
import type { OverheadResult } from './overhead.js';
import { type BenchResults, type Measured, TARGETS } from './results.js';
import type { ScaleResult } from './scale.js';
import type { ThroughputLevel } from './throughput.js';
import type { DeliveryCheck } from './verify.js';

/**
 * Renders the generated part of docs/benchmarks.md from bench/results.json:
 * the machine, then one table per benchmark with each figure, its baseline,
 * the ratio and the target, met or missed.
 */

const ms = (value: number): string => `${value.toFixed(1)} ms`;
const x = (value: number): string => `${value.toFixed(2)}×`;
const usd = (value: number): string => `$${value.toFixed(4)}`;
const mb = (value: number): string => `${value.toFixed(0)} MB`;
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
const verdict = (met: boolean): string => (met ? '**met**' : '**MISSED**');

const row = (cells: readonly (string | number)[]): string =>
  `| ${cells.join(' | ')} |`;

const table = (
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string[] => [row(header), row(header.map(() => '---')), ...rows.map(row)];

const load = (values: readonly number[]): string =>
  values.map((value) => value.toFixed(2)).join(' / ');

/** A line saying when and under what load a benchmark ran. */
const provenance = (measured: Measured<unknown>): string =>
  `Measured ${measured.measuredAt} in ${measured.seconds.toFixed(0)} s` +
  `${measured.quick ? ', **quick mode** (smaller sizes, fewer runs)' : ''}; ` +
  `load average (1/5/15 min) ${load(measured.loadBefore)} before, ` +
  `${load(measured.loadAfter)} after.`;

const failed = (title: string, measured?: Measured<unknown>): string[] => [
  `### ${title}`,
  '',
  measured?.error
    ? `Not measured: the benchmark failed (${measured.error}).`
    : 'Not measured in this run.',
  '',
];

const machineSection = (results: BenchResults): string[] => {
  const { machine } = results;

  return [
    '### Machine',
    '',
    ...table(
      ['CPU', 'Cores', 'Memory', 'Node.js', 'OS', 'Commit'],
      [
        [
          `${machine.cpuModel} @ ${machine.cpuMhz} MHz`,
          machine.cpuCount,
          `${machine.memoryGb.toFixed(1)} GB`,
          machine.node,
          machine.os,
          machine.commit,
        ],
      ],
    ),
    '',
    `Results written ${results.writtenAt}.`,
    '',
  ];
};

const overheadRow = (t: OverheadResult): (string | number)[] => [
  t.templateId,
  `${ms(t.runs.median)} / ${ms(t.runs.p95)}`,
  ms(t.runsToIdle.median),
  `${ms(t.floor.median)} / ${ms(t.floor.p95)}`,
  `${x(t.ratioMedian)} / ${x(t.ratioP95)}`,
  `${t.calls.dynamodb ?? 0} / ${t.calls.ses ?? 0} / ${t.calls.servicenow ?? 0}`,
  t.lambdaInvocations,
  `${t.errors} / ${t.runs.count}`,
  `≤ ${TARGETS.overheadRatio}× (median): ${verdict(t.ratioMedian <= TARGETS.overheadRatio)}`,
];

const overheadSection = (results: BenchResults): string[] => {
  const measured = results.benchmarks.overhead;
  const result = measured?.result;
  if (!measured || !result)
    return failed('1. Orchestration overhead', measured);

  return [
    '### 1. Orchestration overhead per template',
    '',
    provenance(measured),
    '',
    ...table(
      [
        'Template',
        'Run: median / p95',
        'Run to idle: median',
        'Floor: median / p95',
        'Ratio: median / p95',
        'Calls: DynamoDB / SES / ServiceNow',
        'Lambda invocations',
        'Failed runs',
        'Target',
      ],
      result.templates.map(overheadRow),
    ),
    '',
    `\`PUT /settings/privacy\` answered ${result.privacyStatus}` +
      (result.privacyStatus === 200
        ? ' (pseudonymisation off).'
        : ' (no such setting yet: nothing to turn off).'),
    '',
  ];
};

const checkRow = (label: string, check: DeliveryCheck) => [
  label,
  check.expected,
  check.received,
  check.missing,
  check.duplicates,
];

const levelRow = (l: ThroughputLevel): (string | number)[] => [
  l.starters,
  l.runs,
  l.runsPerSecond,
  l.floorPerSecond,
  x(l.ratio),
  `${ms(l.latency.median)} / ${ms(l.latency.p95)}`,
  l.errors,
  l.coresBusy,
];

const throughputSection = (results: BenchResults): string[] => {
  const measured = results.benchmarks.throughput;
  const result = measured?.result;
  if (!measured || !result) return failed('2. Throughput', measured);

  return [
    '### 2. Throughput: notify-manager runs per second',
    '',
    provenance(measured),
    '',
    ...table(
      [
        'Starters',
        'Runs',
        'Runs/s',
        'Floor sequences/s',
        'Floor ÷ runs',
        'Latency median / p95',
        'Errors',
        'Cores busy',
      ],
      result.levels.map(levelRow),
    ),
    '',
    ...table(
      ['Check', 'Expected', 'Received', 'Missing', 'Duplicates'],
      [
        checkRow('Manager emails (one per run)', result.emails),
        checkRow('Flow notes (one per run)', result.notes),
      ],
    ),
    '',
  ];
};

const scaleRow = (s: ScaleResult): (string | number)[] => [
  s.users,
  s.startedBy,
  `${s.addSeconds} s + ${s.runSeconds} s = **${s.wallSeconds} s**`,
  mb(s.peakRssMb),
  `${mb(s.startRssMb)}; +${mb(s.retained.heapMb)} heap, ` +
    `+${mb(s.retained.buffersMb)} buffers`,
  `${kb(s.largestPayloadBytes)} (${s.historiesRead} of ${s.executions})`,
  `${s.succeeded} / ${s.executions}`,
  `${s.emails.received} / ${s.emails.expected} ` +
    `(missing ${s.emails.missing}, duplicates ${s.emails.duplicates})`,
  s.peakEmailsPerSecond,
];

const scaleSection = (results: BenchResults): string[] => {
  const small = results.benchmarks['scale-small'];
  const large = results.benchmarks['scale-large'];
  if (!small?.result || !large?.result) {
    return failed('3. Scale', large?.error ? large : small);
  }

  return [
    '### 3. Scale: notify-users for a whole policy',
    '',
    `Small: ${provenance(small)}`,
    '',
    `Large: ${provenance(large)}`,
    '',
    ...table(
      [
        'Users',
        'Runs started by',
        'Wall: adds + rest of runs',
        'Peak RSS',
        'RSS at start; retained after (after GC)',
        'Largest state payload (histories read)',
        'Executions succeeded',
        'Emails received / expected',
        'Peak emails/s',
      ],
      [small.result, large.result].map(scaleRow),
    ),
    '',
  ];
};

const coldRow = (c: ColdStartResult): (string | number)[] => [
  c.name,
  kb(c.bytes),
  kb(c.baselineBytes),
  x(c.sizeRatio),
  ms(c.initMs),
  ms(c.baselineInitMs),
  x(c.initRatio),
  `${verdict(c.sizeRatio <= TARGETS.coldStartRatio)} / ` +
    verdict(c.initRatio <= TARGETS.coldStartRatio),
  c.additions.map((a) => `${a.source} ${a.kb} KB`).join(', '),
];

const coldStartSection = (results: BenchResults): string[] => {
  const measured = results.benchmarks['cold-start'];
  const result = measured?.result;
  if (!measured || !result) return failed('4. Cold start', measured);

  return [
    '### 4. Lambda cold-start proxies',
    '',
    provenance(measured),
    '',
    ...table(
      [
        'Function',
        'Bundle',
        'Baseline bundle',
        'Size ratio',
        'Init (median)',
        'Baseline init',
        'Init ratio',
        `Targets ≤ ${TARGETS.coldStartRatio}×: size / init`,
        'Largest additions over the baseline',
      ],
      result.map(coldRow),
    ),
    '',
    `Baseline clients: ${[...new Set(result.map((c) => c.clients.join(', ')))].join('; ')}.`,
    '',
  ];
};

const costRow = (t: TemplateCost): (string | number)[] => [
  t.templateId,
  t.perRun.transitions,
  `${t.perRun.lambdaInvocations} (${t.perRun.lambdaGbSeconds} GB-s)`,
  `${t.perRun.readUnits} / ${t.perRun.writeUnits}`,
  t.perRun.emails,
  t.perRun.apiRequests,
  usd(t.per1000.stateTransitions),
  usd(t.per1000.lambda),
  usd(t.per1000.dynamoDb),
  usd(t.per1000.ses),
  usd(t.per1000.api),
  `**${usd(t.per1000.standardTotal)}**`,
  t.per1000.expressTotal === undefined
    ? 'n/a (waits days)'
    : usd(t.per1000.expressTotal),
  usd(t.per1000.workOnly),
  verdict(t.per1000.standardTotal < TARGETS.costPer1000),
];

const costSection = (results: BenchResults): string[] => {
  const measured = results.benchmarks.cost;
  const result = measured?.result;
  if (!measured || !result) return failed('5. Cost', measured);

  return [
    '### 5. Cost per 1,000 runs (us-east-1 list prices)',
    '',
    provenance(measured),
    `Prices from \`bench/prices.json\` (retrieved ${result.prices.retrieved}).`,
    '',
    ...table(
      [
        'Template',
        'Transitions / run',
        'Lambda / run',
        'RRU / WRU per run',
        'Emails / run',
        'API requests / run',
        'Step Functions',
        'Lambda',
        'DynamoDB',
        'SES',
        'HTTP API',
        'Standard total',
        'Express total',
        'Work only (DynamoDB + SES)',
        `< $${TARGETS.costPer1000}`,
      ],
      result.templates.map(costRow),
    ),
    '',
  ];
};

const loadRow = (label: string, f: LoadFigures): (string | number)[] => [
  label,
  f.requestsPerSecond,
  ms(f.p50),
  ms(f.p99),
  f.requests,
  `${f.errors} / ${f.non2xx}`,
];

const apiSection = (results: BenchResults): string[] => {
  const measured = results.benchmarks.api;
  const result = measured?.result;
  if (!measured || !result) return failed('6. API', measured);

  return [
    '### 6. API: `GET /cases/{caseId}`',
    '',
    provenance(measured),
    '',
    ...table(
      ['Target', 'Requests/s', 'p50', 'p99', 'Requests', 'Errors / non-2xx'],
      [
        loadRow('API (JWT, route, GetItem + alert count)', result.api),
        loadRow('Bare GetItem server (baseline)', result.bareGetItem),
      ],
    ),
    '',
    `${result.connections} connections, ${result.seconds} s per target ` +
      'after a 1 s warm-up.',
    '',
  ];
};

type SummaryRow = [string, string, string, string];

const overheadSummary = (results: BenchResults): SummaryRow[] =>
  (results.benchmarks.overhead?.result?.templates ?? []).map((t) => [
    `1. Overhead, ${t.templateId} (median)`,
    `${ms(t.runs.median)} vs floor ${ms(t.floor.median)}: ${x(t.ratioMedian)}`,
    `≤ ${TARGETS.overheadRatio}×`,
    verdict(t.ratioMedian <= TARGETS.overheadRatio),
  ]);

const throughputSummary = (results: BenchResults): SummaryRow[] => {
  const result = results.benchmarks.throughput?.result;
  if (!result) return [];
  const best = result.levels.reduce((a, b) =>
    b.runsPerSecond > a.runsPerSecond ? b : a,
  );
  const errors = result.levels.reduce((sum, l) => sum + l.errors, 0);
  const duplicates = result.emails.duplicates + result.notes.duplicates;

  return [
    [
      '2. Throughput, notify-manager (best level)',
      `${best.runsPerSecond} runs/s at ${best.starters} starters (floor ${best.floorPerSecond}/s)`,
      `≥ ${TARGETS.runsPerSecond} runs/s`,
      verdict(best.runsPerSecond >= TARGETS.runsPerSecond),
    ],
    ['2. Throughput errors', String(errors), '0', verdict(errors === 0)],
    [
      '2. Duplicate emails or notes',
      String(duplicates),
      '0',
      verdict(duplicates === 0),
    ],
  ];
};

const scaleSummary = (results: BenchResults): SummaryRow[] => {
  const small = results.benchmarks['scale-small']?.result;
  const large = results.benchmarks['scale-large']?.result;
  if (!small || !large) return [];
  const growth = large.wallSeconds / small.wallSeconds;
  const limit = (TARGETS.scaleGrowth * large.users) / small.users / 10;
  const peak = Math.max(small.peakRssMb, large.peakRssMb);
  const payload = Math.max(
    small.largestPayloadBytes,
    large.largestPayloadBytes,
  );
  const wrong = [small, large].reduce(
    (sum, s) => sum + s.emails.missing + s.emails.duplicates,
    0,
  );

  return [
    [
      `3. Scale, ${large.users} vs ${small.users} users`,
      `${large.wallSeconds} s vs ${small.wallSeconds} s: ${x(growth)}`,
      `≤ ${limit.toFixed(1)}×`,
      verdict(growth <= limit),
    ],
    [
      '3. Peak memory',
      mb(peak),
      `≤ ${TARGETS.peakRssMb} MB`,
      verdict(peak <= TARGETS.peakRssMb),
    ],
    [
      '3. Largest state payload',
      kb(payload),
      '≤ 64 KB',
      verdict(payload <= TARGETS.payloadBytes),
    ],
    ['3. Emails missing or twice', String(wrong), '0', verdict(wrong === 0)],
  ];
};

const coldStartSummary = (results: BenchResults): SummaryRow[] => {
  const result = results.benchmarks['cold-start']?.result ?? [];
  if (result.length === 0) return [];
  const within = (pick: (c: ColdStartResult) => number) =>
    result.filter((c) => pick(c) <= TARGETS.coldStartRatio).length;
  const worst = (pick: (c: ColdStartResult) => number) =>
    Math.max(...result.map(pick));
  const row = (
    label: string,
    pick: (c: ColdStartResult) => number,
  ): SummaryRow => [
    `4. Cold start, ${label} ratio`,
    `${within(pick)} of ${result.length} functions within; worst ${x(worst(pick))}`,
    `≤ ${TARGETS.coldStartRatio}×`,
    verdict(within(pick) === result.length),
  ];

  return [
    row('bundle size', (c) => c.sizeRatio),
    row('init time', (c) => c.initRatio),
  ];
};

const costSummary = (results: BenchResults): SummaryRow[] =>
  (results.benchmarks.cost?.result?.templates ?? []).map((t) => [
    `5. Cost, ${t.templateId} (Standard)`,
    `${usd(t.per1000.standardTotal)} per 1,000 runs` +
      (t.per1000.expressTotal === undefined
        ? ''
        : ` (Express ${usd(t.per1000.expressTotal)})`),
    `< $${TARGETS.costPer1000}`,
    verdict(t.per1000.standardTotal < TARGETS.costPer1000),
  ]);

const apiSummary = (results: BenchResults): SummaryRow[] => {
  const result = results.benchmarks.api?.result;
  if (!result) return [];

  return [
    [
      '6. API p99',
      ms(result.api.p99),
      `≤ ${TARGETS.apiP99Ms} ms`,
      verdict(result.api.p99 <= TARGETS.apiP99Ms),
    ],
    [
      '6. API vs bare GetItem',
      `p99 ${x(result.latencyRatio)}, throughput ${x(result.throughputRatio)}`,
      `≤ ${TARGETS.apiRatio}×`,
      verdict(
        Math.max(result.latencyRatio, result.throughputRatio) <=
          TARGETS.apiRatio,
      ),
    ],
  ];
};

/** Every target with its figure and verdict, in one table. */
const summarySection = (results: BenchResults): string[] => [
  '### Targets at a glance',
  '',
  ...table(
    ['Benchmark', 'Measured (against its baseline)', 'Target', 'Verdict'],
    [
      ...overheadSummary(results),
      ...throughputSummary(results),
      ...scaleSummary(results),
      ...coldStartSummary(results),
      ...costSummary(results),
      ...apiSummary(results),
    ],
  ),
  '',
];

/** The generated section of docs/benchmarks.md. */
export const renderResults = (results: BenchResults): string =>
  [
    ...machineSection(results),
    ...summarySection(results),
    ...overheadSection(results),
    ...throughputSection(results),
    ...scaleSection(results),
    ...coldStartSection(results),
    ...costSection(results),
    ...apiSection(results),
  ].join('\n');

export const RESULTS_START =
  '<!-- results:start (generated by npm run bench) -->';
export const RESULTS_END = '<!-- results:end -->';

/**
 * Replaces the generated section of the document, keeping the hand-written
 * text around it; a document without the markers gets them appended.
 */
export const spliceResults = (document: string, generated: string): string => {
  const block = `${RESULTS_START}\n\n${generated}\n${RESULTS_END}`;
  const start = document.indexOf(RESULTS_START);
  const end = document.indexOf(RESULTS_END);
  if (start < 0 || end < start) return `${document.trimEnd()}\n\n${block}\n`;

  return (
    document.slice(0, start) + block + document.slice(end + RESULTS_END.length)
  );
};
