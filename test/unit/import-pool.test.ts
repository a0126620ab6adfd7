import { inBatches, runBounded } from '../../scripts/import/pool.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function* numbers(count: number) {
  for (let n = 1; n <= count; n += 1) yield n;
}

describe('runBounded', () => {
  it('keeps at most the limit of calls in flight', async () => {
    // Prepare
    let running = 0;
    let most = 0;
    const done: number[] = [];

    // Act
    await runBounded(numbers(40), 4, async (n) => {
      running += 1;
      most = Math.max(most, running);
      await tick();
      running -= 1;
      done.push(n);
    });

    // Assess
    expect(most).toBe(4);
    expect(done).toHaveLength(40);
  });

  it('stops taking items after a failure and throws it', async () => {
    // Prepare
    const started: number[] = [];

    // Act
    const running = runBounded(numbers(100), 2, async (n) => {
      started.push(n);
      await tick();
      if (n === 3) throw new Error('write failed');
    });

    // Assess
    await expect(running).rejects.toThrow('write failed');
    expect(started.length).toBeLessThan(10);
  });
});

describe('inBatches', () => {
  it('groups a stream into batches of the size asked', async () => {
    // Act
    const batches: number[][] = [];
    for await (const batch of inBatches(numbers(5), 2)) batches.push(batch);

    // Assess
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });
});
