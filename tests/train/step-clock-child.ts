// Run by step-clock.test.ts: times a CPU-bound "step" during which the parent stops this process
// (SIGSTOP), then continues it (SIGCONT), and a step that is not stopped.
import * as fs from 'node:fs';
import { StepClock } from '../../src/train/step-clock';

/** Spins until this process has used `seconds` of CPU time: a step of known length. */
function spin(seconds: number): void {
  const t0 = process.cpuUsage();
  for (;;) {
    const u = process.cpuUsage(t0);
    if ((u.user + u.system) / 1e6 >= seconds) return;
  }
}

async function main(): Promise<void> {
  const processor = process.argv[2] === 'gpu' ? 'gpu' : 'cpu';
  const clock = new StepClock(processor);
  spin(0.3);
  const plain = await clock.lap();
  process.stdout.write('stop me\n');
  const w0 = performance.now();
  // As in training, the step runs in a continuation of I/O (a batch read from disk), so the
  // event loop has finished polling when the stop and the SIGCONT land in its compute.
  await fs.promises.readFile(__filename);
  spin(0.8);
  const stopped = await clock.lap();
  const wall = (performance.now() - w0) / 1000;
  clock.dispose();
  process.stdout.write(`${JSON.stringify({ plain, stopped, wall })}\n`);
}

void main();
