import type { StepReport } from '../train/trainer';
import { TrainingDiverged } from '../train/trainer';
import type { SittingResult, TrainingRun } from '../train/run';
import { progress } from './progress';

/** What one sitting of `train` or `continue` asks of the run (TrainingRun.train's options, less the signal and the step report). */
export type SittingOptions = Omit<Parameters<TrainingRun['train']>[0], 'signal' | 'onStep'> & {
  /** The step the bar counts to. */
  until: number;
  /** The progress bar's text after each step. */
  stepLine: (r: StepReport) => string;
};

/**
 * One sitting at the command line: trains with a progress bar; Ctrl-C or SIGTERM ends it after the
 * step in progress, with a checkpoint (exit status 130); a diverged run is reported in one line
 * (exit status 1). Returns the sitting's result, or undefined when it diverged.
 */
export async function runSitting(run: TrainingRun, o: SittingOptions): Promise<SittingResult | undefined> {
  const { stepLine, ...train } = o;
  const bar = progress('train', o.until);
  bar.update(run.trainer.step);
  const abort = new AbortController();
  const stopOnSigint = onSigint(abort);
  try {
    const r = await run.train({ ...train, signal: abort.signal, onStep: (rep) => bar.update(rep.step, stepLine(rep)) });
    bar.stop();
    if (r.stoppedBy === 'signal') process.exitCode = 130;
    return r;
  } catch (e) {
    bar.stop();
    if (!reportedDivergence(e)) throw e;
    return undefined;
  } finally {
    stopOnSigint();
  }
}

/** A diverged run is the user's to fix (learning rate, data), not a crash: one line, exit 1. */
export function reportedDivergence(e: unknown): boolean {
  if (!(e instanceof TrainingDiverged)) return false;
  process.stderr.write(`deblur-lab: ${e.message}\n`);
  process.exitCode = 1;
  return true;
}

/**
 * Ctrl-C (SIGINT) or SIGTERM (what containers, CI and `kill` send) ends a sitting after the step in
 * progress, with a checkpoint; a second Ctrl-C more than a second later quits at once (under `npm
 * run`, one Ctrl-C arrives twice, from the terminal and forwarded by npm, hence the second). Returns
 * the function that removes the handlers.
 */
export function onSigint(abort: AbortController): () => void {
  let first = 0;
  const handler = (signal: NodeJS.Signals): void => {
    if (abort.signal.aborted) {
      if (signal === 'SIGINT' && performance.now() - first > 1000) process.exit(130);
      return;
    }
    first = performance.now();
    abort.abort();
    process.stderr.write(`\n${signal === 'SIGTERM' ? 'SIGTERM: ' : ''}stopping after this step and writing a checkpoint${signal === 'SIGINT' ? ' (Ctrl-C again to quit at once)' : ''}\n`);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
