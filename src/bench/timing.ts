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

/** Runs `body` `warmup` times untimed, then `runs` times timed (each awaited to completion). */
export async function timeRuns(body: () => Promise<void>, runs: number, warmup: number, onRun?: (i: number, ms: number) => void): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await body();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await body();
    ms.push(performance.now() - t0);
    onRun?.(i, ms[i]!);
  }
  return summarizeTimes(ms);
}
