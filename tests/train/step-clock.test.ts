import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import * as path from 'node:path';

interface Lap {
  seconds: number;
  stopped: boolean;
}

/**
 * Runs step-clock-child.ts and stops it for `stopMs` during its second step (SIGSTOP, then SIGCONT:
 * what a user does to pause a long run), returning the child's two laps and the second's wall time.
 */
async function stoppedChild(processor: 'cpu' | 'gpu', stopMs: number): Promise<{ plain: Lap; stopped: Lap; wall: number }> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register', path.join(__dirname, 'step-clock-child.ts'), processor], {
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('stop me')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
  await new Promise((r) => setTimeout(r, 150));
  child.kill('SIGSTOP');
  await new Promise((r) => setTimeout(r, stopMs));
  child.kill('SIGCONT');
  assert.is(await exited, 0);
  return JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as { plain: Lap; stopped: Lap; wall: number };
}

test('a step stopped with SIGSTOP counts its CPU time, not the stop (CPU backends)', async () => {
  const { plain, stopped, wall } = await stoppedChild('cpu', 1500);
  assert.ok(wall > 2.0, `the stop did not land in the step (wall ${wall} s)`);
  assert.ok(stopped.stopped, 'the stop was not noticed');
  // The step spun 0.8 s of CPU time; its wall time was 0.8 s plus the 1.5 s stop.
  assert.ok(stopped.seconds >= 0.79 && stopped.seconds < 1.2, `stopped step counted ${stopped.seconds} s`);
  // A step nobody stopped counts its wall time (at least its 0.3 s of CPU).
  assert.not.ok(plain.stopped);
  assert.ok(plain.seconds >= 0.29, `plain step counted ${plain.seconds} s`);
});

test('on a GPU a stopped step counts as long as the step before it', async () => {
  const { plain, stopped, wall } = await stoppedChild('gpu', 1200);
  assert.ok(wall > 1.7, `the stop did not land in the step (wall ${wall} s)`);
  assert.ok(stopped.stopped);
  assert.is(stopped.seconds, plain.seconds);
});

test.run();
