import type { ApiReadResult } from './api-read.js';
import type { ColdStartResult } from './cold-start.js';
import type { Prices, TemplateCost } from './cost.js';
import type { OverheadResult } from './overhead.js';
import type { ScaleResult } from './scale.js';
import type { ThroughputResult } from './throughput.js';

/** The machine a run was measured on. */
export interface Machine {
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly cpuMhz: number;
  readonly memoryGb: number;
  readonly node: string;
  readonly os: string;
  readonly commit: string;
}

/** How one benchmark's process went. */
export interface Measured<T> {
  readonly measuredAt: string;
  readonly seconds: number;
  /** 1, 5 and 15 minute load averages when it started. */
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
  readonly quick: boolean;
  readonly result?: T;
  readonly error?: string;
}

/** bench/results.json. */
export interface BenchResults {
  readonly machine: Machine;
  readonly writtenAt: string;
  readonly benchmarks: {
    overhead?: Measured<{
      privacyStatus: number;
      templates: OverheadResult[];
    }>;
    throughput?: Measured<ThroughputResult>;
    'scale-small'?: Measured<ScaleResult>;
    'scale-large'?: Measured<ScaleResult>;
    'cold-start'?: Measured<ColdStartResult[]>;
    cost?: Measured<{ prices: Prices; templates: TemplateCost[] }>;
    api?: Measured<ApiReadResult>;
  };
}

export type BenchmarkName = keyof BenchResults['benchmarks'];

/** The benchmarks in the order they run and are reported. */
export const BENCHMARK_NAMES: readonly BenchmarkName[] = [
  'overhead',
  'throughput',
  'scale-small',
  'scale-large',
  'cold-start',
  'cost',
  'api',
];

/** The targets of issue 6, in one place. */
export const TARGETS = {
  overheadRatio: 1.5,
  runsPerSecond: 50,
  scaleGrowth: 11,
  peakRssMb: 400,
  payloadBytes: 64 * 1024,
  coldStartRatio: 1.25,
  costPer1000: 0.25,
  apiP99Ms: 25,
  apiRatio: 3,
} as const;
