import { Command } from 'commander';
import { UsageError, WriteError } from '../errors';
import { WebGpuError } from '../webgpu-guard';
import { registerDemo } from './demo';
import { registerMetrics } from './metrics';
import { registerSummary } from './summary';
import { registerSynth } from './synth';
import { registerTrain } from './train';
import { registerContinue } from './continue';
import { registerEval } from './eval';
import { registerDeblur } from './deblur';
import { registerBench } from './bench';
import { registerCompare } from './compare';
import { registerTorchInterop } from './torch-interop';

/** `npm run cli -- <command>` and the `deblur-lab` bin. User mistakes: one line, exit 2. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('deblur-lab')
    .description('deblur-lab: MSRM + DFFM multi-scale deblurring networks on TensorFlow.js')
    .showHelpAfterError('(run with --help for usage)')
    // commander has printed its one line (an unknown option, a bad value, a missing argument):
    // a user mistake like the lab's own, so the same exit code (commander's is 1). Subcommands
    // inherit this (they are registered below).
    .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2));
  registerSummary(program);
  registerDemo(program);
  registerMetrics(program);
  registerSynth(program);
  registerTrain(program);
  registerContinue(program);
  registerEval(program);
  registerDeblur(program);
  registerCompare(program);
  registerBench(program);
  registerTorchInterop(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`deblur-lab: ${e.message}\n`);
      process.exit(2);
    }
    if (e instanceof WriteError) {
      process.stderr.write(`deblur-lab: ${e.message}\n`);
      process.exit(1);
    }
    if (e instanceof WebGpuError) {
      // Not the user's mistake, but nothing a stack trace would explain better: the GPU refused the work.
      process.stderr.write(`deblur-lab: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

if (require.main === module) void main(process.argv);
