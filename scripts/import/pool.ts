/** How many writes an import keeps in flight at once. */
export const WRITE_CONCURRENCY = 16;

/**
 * Runs `work` on each item of a (possibly streamed) source with at most
 * `limit` calls in flight, pulling items only as slots free up so that a
 * large file is never all in memory. The first failure stops the intake;
 * calls already running finish before it is thrown.
 */
export const runBounded = async <T>(
  source: AsyncIterable<T> | Iterable<T>,
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> => {
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  for await (const item of source) {
    if (failure) break;
    const task: Promise<void> = work(item)
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => running.delete(task));
    running.add(task);
    if (running.size >= limit) await Promise.race(running);
  }
  await Promise.all(running);
  if (failure) throw failure.error;
};

/** Groups a stream of items into arrays of at most `size`. */
export async function* inBatches<T>(
  source: AsyncIterable<T> | Iterable<T>,
  size: number,
): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of source) {
    batch.push(item);
    if (batch.length < size) continue;
    yield batch;
    batch = [];
  }
  if (batch.length > 0) yield batch;
}
