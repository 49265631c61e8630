import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findCheckpoint, readCheckpoint } from '../../src/train/checkpoint';
import { rejectsWithUsage, startBackendForTest } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'checkpoint-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * Starts the writer, waits until it has written checkpoint `after`, lets it run `ms` more (into the
 * writing of the next ones), then SIGKILLs it. Counting checkpoints rather than time makes the kills
 * land at different steps however fast the machine is.
 */
async function killWriterAfter(out: string, after: number, ms: number): Promise<void> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register', path.join(__dirname, 'checkpoint-writer.ts'), out], {
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      const written = [...d.toString().matchAll(/wrote (\d+)/g)].map((m) => Number(m[1]));
      if (written.some((k) => k >= after)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`writer exited early (${code})`)));
  });
  await new Promise((r) => setTimeout(r, ms));
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGKILL');
  await exited;
}

test('killing the writer at random moments always leaves one whole checkpoint, old or new', async () => {
  await startBackendForTest('cpu');
  const out = path.join(tmp, 'killed');
  const steps: number[] = [];
  for (let i = 0; i < 8; i++) {
    await killWriterAfter(out, 1 + (i % 6), Math.random() * 150);
    const ckpt = await readCheckpoint(out);
    const k = ckpt.state.step;
    steps.push(k);
    // Whole means consistent: every weight, every moment and the iteration count are the same k.
    const weights = await Promise.all(ckpt.model.getWeights().map((w) => w.data()));
    assert.ok(weights.every((w) => w.every((x) => x === k)), `checkpoint ${k}: weights from another step`);
    assert.ok([...ckpt.adam.m, ...ckpt.adam.v].every((a) => a.every((x) => x === k)), `checkpoint ${k}: moments from another step`);
    assert.is(ckpt.adam.iterations, k);
    ckpt.model.dispose();
  }
  // The kills landed at different points of the loop, so several checkpoints were tested.
  assert.ok(new Set(steps).size >= 4, `steps seen: ${steps.join(', ')}`);
  assert.ok(Math.max(...steps) > 5, `the writer wrote only ${Math.max(...steps)} checkpoints per run`);
});

test('a damaged checkpoint is never used: the reader names the damage', async () => {
  await startBackendForTest('cpu');
  const out = path.join(tmp, 'damaged');
  await killWriterAfter(out, 1, 100);
  const dir = findCheckpoint(out)!;
  assert.ok(dir.endsWith('checkpoint') || dir.endsWith('checkpoint.old'));
  fs.rmSync(path.join(out, 'checkpoint.old'), { recursive: true, force: true });
  const shard = fs.readdirSync(dir).find((n) => n.endsWith('.bin') && n.startsWith('group1'))!;
  const bytes = fs.readFileSync(path.join(dir, shard));
  bytes[bytes.length >> 1] ^= 0xff;
  fs.writeFileSync(path.join(dir, shard), bytes);
  assert.is(findCheckpoint(out), undefined);
  await rejectsWithUsage(readCheckpoint(out), new RegExp(`no complete checkpoint .*${shard} does not match its checksum`));
  await rejectsWithUsage(readCheckpoint(path.join(tmp, 'nothing-here')), /no complete checkpoint \(no checkpoint\/ folder\)/);
});

test.run();
