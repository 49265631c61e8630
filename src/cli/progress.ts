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
  return {
    update(done, note = '') {
      const tenth = Math.floor((10 * done) / total);
      if (tenth > shown || done === total) {
        shown = tenth;
        process.stderr.write(`${label}: ${done}/${total}${note ? ` (${note})` : ''}\n`);
      }
    },
    stop() {},
  };
}
