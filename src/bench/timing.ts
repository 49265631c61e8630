/** Wall-clock times of repeated runs, summarised the way the benchmark reports them. */
export interface Timing {
  /** Median of the timed runs (warm-up runs excluded), in milliseconds. */
  median: number;
  min: number;
  max: number;
  runs: number;
}

export function summarizeTimes(ms: readonly number[]): Timing {
  if (ms.length === 0) throw new Error('no timed runs');
  const sorted = [...ms].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, runs: sorted.length };
}

/** The most warm-up runs a warm-up time asks for (tiny cases would otherwise run hundreds). */
export const MAX_WARMUP_RUNS = 30;

/**
 * Runs `body` untimed `warmup` times and then, while the warm-up has taken less than
 * `warmupSeconds`, more (at most MAX_WARMUP_RUNS in all); then `runs` times timed (each awaited to
 * completion). A step's first few runs are slower (JIT, caches, the allocator settling), by a
 * number of runs that differs between engines; a warm-up time gives each its steady state.
 */
export async function timeRuns(body: () => Promise<void>, runs: number, warmup: number, onRun?: (i: number, ms: number) => void, warmupSeconds = 0): Promise<Timing> {
  const w0 = performance.now();
  for (let i = 0; i < MAX_WARMUP_RUNS && (i < warmup || performance.now() - w0 < warmupSeconds * 1000); i++) await body();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await body();
    ms.push(performance.now() - t0);
    onRun?.(i, ms[i]!);
  }
  return summarizeTimes(ms);
}
