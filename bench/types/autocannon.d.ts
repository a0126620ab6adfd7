declare module 'autocannon' {
  /** The subset of autocannon's options the API benchmark uses. */
  export interface AutocannonOptions {
    url: string;
    connections?: number;
    duration?: number;
    workers?: number;
    method?: string;
    headers?: Record<string, string>;
  }

  /** An hdr-histogram summary, in the unit of its statistic. */
  export interface Histogram {
    average: number;
    p50: number;
    p90: number;
    p99: number;
    max: number;
  }

  export interface AutocannonResult {
    requests: Histogram & { total: number };
    latency: Histogram;
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
  }

  export default function autocannon(
    options: AutocannonOptions,
  ): Promise<AutocannonResult>;
}
