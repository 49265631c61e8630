import { UsageError, WriteError } from '../errors';
import { WebGpuError } from '../webgpu-guard';

/**
 * How every entry point (the CLI and each npm script) ends on an error: a user mistake
 * (`UsageError`) is one line and exit status 2; a write that failed (a full disk) or the GPU's
 * refusal is one line and exit status 1, since a stack trace would not explain them better.
 * Anything else is thrown on with its stack (`unknown: 'throw'`, the CLI), or said in one line with
 * exit status 1 (`'line'`, the scripts: their own failures are plain errors), the stack printed
 * too when DEBLUR_DEBUG is set.
 */
export function reportFailure(name: string, e: unknown, unknown: 'throw' | 'line' = 'throw'): void {
  if (e instanceof UsageError) {
    process.stderr.write(`${name}: ${e.message}\n`);
    process.exit(2);
  }
  if (e instanceof WriteError || e instanceof WebGpuError) {
    process.stderr.write(`${name}: ${e.message}\n`);
    process.exit(1);
  }
  if (unknown === 'throw') throw e;
  process.stderr.write(`${name}: ${e instanceof Error ? e.message : String(e)}\n`);
  if (process.env['DEBLUR_DEBUG'] && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
}

/** Runs a script's main with reportFailure's rule for scripts. */
export function runMain(name: string, main: () => Promise<void> | void): void {
  Promise.resolve()
    .then(main)
    .catch((e: unknown) => reportFailure(name, e, 'line'));
}
