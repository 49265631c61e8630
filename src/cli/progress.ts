import { SingleBar } from 'cli-progress';
import { RateClock, type Progress } from '../progress';

export { formatSeconds, type Progress } from '../progress';

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
  const clock = new RateClock();
  return {
    update(done, note = '') {
      const eta = clock.eta(done, total);
      const tenth = Math.floor((10 * done) / total);
      if (tenth > shown || done === total) {
        shown = tenth;
        process.stderr.write(`${label}: ${done}/${total}${eta ? `, ETA ${eta}` : ''}${note ? ` (${note})` : ''}\n`);
      }
    },
    stop() {},
  };
}
