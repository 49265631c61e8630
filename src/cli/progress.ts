import { SingleBar } from 'cli-progress';

export interface Progress {
  update(done: number, note?: string): void;
  stop(): void;
}

/**
 * A progress bar on stderr (cli-progress) when it is a terminal; otherwise (CI, pipes, notebooks)
 * a plain line about every 10%, so logs stay readable.
 */
export function progress(label: string, total: number): Progress {
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      format: `${label} [{bar}] {value}/{total} | {percentage}% | ETA {eta_formatted} | {note}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 20,
    });
    bar.start(total, 0, { note: '' });
    return { update: (done, note = '') => bar.update(done, { note }), stop: () => bar.stop() };
  }
  let shown = -1;
  let first: { done: number; at: number } | undefined;
  return {
    update(done, note = '') {
      const now = performance.now();
      first ??= { done, at: now }; // a resumed run starts part-way: time only what this run does
      const tenth = Math.floor((10 * done) / total);
      if (tenth > shown || done === total) {
        shown = tenth;
        const rate = (done - first.done) / (now - first.at);
        const eta = rate > 0 && done < total ? `, ETA ${formatSeconds((total - done) / rate / 1000)}` : '';
        process.stderr.write(`${label}: ${done}/${total}${eta}${note ? ` (${note})` : ''}\n`);
      }
    },
    stop() {},
  };
}

/** 75 → "1m15s", 4000 → "1h06m". */
export function formatSeconds(s: number): string {
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
}
