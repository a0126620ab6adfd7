/**
 * How big each benchmark is. Quick mode exists so that the whole suite
 * finishes in under two minutes: fewer iterations and smaller scales, said
 * so in the table. Full mode is what the targets are judged on.
 */
export interface BenchSettings {
  readonly quick: boolean;
  /** Measured runs per template (and as many floor replays). */
  readonly overheadRuns: number;
  /** Runs per template before measuring: modules load, code warms up. */
  readonly warmupRuns: number;
  /** Runs per level of concurrent starters. */
  readonly throughputRuns: Readonly<Record<number, number>>;
  /** Policy sizes of the scale benchmark, small then large. */
  readonly scaleSizes: readonly [number, number];
  /** Starts (or adds) in flight at once in the scale benchmark. */
  readonly scaleConcurrency: number;
  /** Executions whose histories are read for the largest payload. */
  readonly payloadSample: number;
  /** Fresh processes per bundle for module initialisation time. */
  readonly coldStartSamples: number;
  /** Instrumented runs per template for the cost model. */
  readonly costRuns: number;
  /** Seconds of load per target in the API benchmark. */
  readonly apiSeconds: number;
}

const FULL: BenchSettings = {
  quick: false,
  overheadRuns: 200,
  warmupRuns: 20,
  throughputRuns: { 1: 200, 8: 800, 32: 1600 },
  scaleSizes: [1_000, 10_000],
  scaleConcurrency: 16,
  payloadSample: 1_000,
  coldStartSamples: 15,
  costRuns: 20,
  apiSeconds: 20,
};

/*
 * Quick mode is a smoke test that must finish in under two minutes on two
 * busy cores: the local stack carries 10 to 30 runs a second, so its
 * policies are 20 and 200 people rather than thousands.
 */
const QUICK: BenchSettings = {
  quick: true,
  overheadRuns: 10,
  warmupRuns: 2,
  throughputRuns: { 1: 6, 8: 24, 32: 48 },
  scaleSizes: [20, 200],
  scaleConcurrency: 16,
  payloadSample: 100,
  coldStartSamples: 3,
  costRuns: 3,
  apiSeconds: 3,
};

/** The settings for `--quick` or a full run. */
export const settingsFor = (quick: boolean): BenchSettings =>
  quick ? QUICK : FULL;

/** The concurrency levels of the throughput benchmark, lowest first. */
export const concurrencyLevels = (settings: BenchSettings): number[] =>
  Object.keys(settings.throughputRuns)
    .map(Number)
    .sort((a, b) => a - b);
