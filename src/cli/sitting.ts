import type { RecipeSittingResult } from '../train/sitting';
import { TrainingDiverged, type StepReport } from '../train/trainer';
import { progress } from './progress';

/** What a sitting at the command line shows: the bar's range and its text after each step. */
export interface SittingDisplay {
  from: number;
  until: number;
  stepLine: (r: StepReport) => string;
}

/**
 * One sitting at the command line (train/sitting.ts does the training): a progress bar; Ctrl-C or
 * SIGTERM ends it after the step in progress, with a checkpoint (exit status 130); a diverged run
 * is reported in one line (exit status 1). The bar starts with the first step, after whatever the
 * sitting says first (milestones caught up, micro-batches). Returns the sitting's result, undefined
 * when the run was already at its end, or 'diverged'.
 */
export async function runSitting(
  show: SittingDisplay,
  sit: (signal: AbortSignal, onStep: (r: StepReport) => void) => Promise<RecipeSittingResult | undefined>,
): Promise<RecipeSittingResult | 'diverged' | undefined> {
  let bar: ReturnType<typeof progress> | undefined;
  const abort = new AbortController();
  const stopOnSigint = onSigint(abort);
  try {
    const r = await sit(abort.signal, (rep) => {
      if (!bar) {
        bar = progress('train', show.until);
        bar.update(show.from);
      }
      bar.update(rep.step, show.stepLine(rep));
    });
    bar?.stop();
    if (r?.stoppedBy === 'signal') process.exitCode = 130;
    return r;
  } catch (e) {
    bar?.stop();
    if (!reportedDivergence(e)) throw e;
    return 'diverged';
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
