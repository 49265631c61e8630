/**
 * Progress of a slow library call, as its callers report it: the terminal's bar (src/cli/progress.ts)
 * and the notebook's updating line (src/viz/progress.ts) both implement this.
 */
export interface Progress {
  update(done: number, note?: string): void;
  stop(): void;
}

/** 75 → "1m15s", 4000 → "1h06m". */
export function formatSeconds(s: number): string {
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Remaining time from the rate seen so far in this call (a resumed job starts part-way: only what
 * this call did is timed); undefined until there is a rate, or when done.
 */
export class RateClock {
  private first: { done: number; at: number } | undefined;

  eta(done: number, total: number, now = performance.now()): string | undefined {
    this.first ??= { done, at: now };
    const rate = (done - this.first.done) / (now - this.first.at);
    return rate > 0 && done < total ? formatSeconds((total - done) / rate / 1000) : undefined;
  }
}
