import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { WASM_HEAP_MAX } from '../../src/backend';
import { variantConfig } from '../../src/model/config';
import { buildNet } from '../../src/model/net';
import { HEAP_FIXED_BYTES, planHeap, trainingBytesPerPixel } from '../../src/train/memory';
import { startBackendForTest } from '../helpers';

const root = path.join(__dirname, '..', '..');

test('the 64² probe and the heap plan bound the wasm heap a larger training step really takes (fresh process)', async () => {
  await startBackendForTest('wasm');
  const model = buildNet(variantConfig('lite'), { seed: 1 });
  const perPixel = await trainingBytesPerPixel(model);
  model.dispose();
  const [batch, crop] = [2, 192];
  const planned = planHeap(perPixel, batch, crop).bytes;
  // The heap never shrinks, so a process of its own, doing only this step, shows its peak.
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'deblur-lab.js'), 'bench', '--variant', 'lite', '--batch', String(batch), '--crop', String(crop), '--mode', 'train', '--steps', '1', '--warmup', '0', '--backend', 'wasm', '--json'], { cwd: root, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const heap = (JSON.parse(r.stdout) as { peakWasmHeapBytes: number }).peakWasmHeapBytes;
  assert.ok(heap <= planned, `the step took ${heap} bytes of heap, more than the ${planned} planned`);
  assert.ok(planned <= 1.35 * heap, `the plan (${planned} bytes) is far above the ${heap} bytes the step took`);
});

test('planHeap: what fits is the largest batch and crop under the ceiling', () => {
  const perPixel = 27_000;
  const plan = planHeap(perPixel, 4, 256);
  assert.not.ok(plan.fits);
  assert.ok(planHeap(perPixel, plan.maxBatch, 256).fits && !planHeap(perPixel, plan.maxBatch + 1, 256).fits);
  assert.ok(planHeap(perPixel, 4, plan.maxCrop).fits && !planHeap(perPixel, 4, plan.maxCrop + 4).fits);
  assert.is(plan.maxCrop % 4, 0);
  assert.ok(planHeap(perPixel, 1, 64).bytes > HEAP_FIXED_BYTES && planHeap(perPixel, 1, 64).bytes < WASM_HEAP_MAX);
});

test.run();
