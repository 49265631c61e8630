import { Command } from 'commander';
import { registerDemo } from './demo';
import { reportFailure } from './run-main';
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
    reportFailure('deblur-lab', e);
  }
}

if (require.main === module) void main(process.argv);
