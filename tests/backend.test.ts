import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { parseBackendName, selectBackend } from '../src/backend';

const quiet = { log: () => undefined };

test('auto picks the best backend that starts, and says why better ones were skipped', async () => {
  const lines: string[] = [];
  const saved = process.env['DEBLUR_BACKEND'];
  delete process.env['DEBLUR_BACKEND'];
  try {
    const r = await selectBackend({ log: (l) => lines.push(l) });
    assert.is(tf.getBackend(), r.backend);
    assert.is(lines.length, 1);
    assert.match(lines[0]!, new RegExp(`backend ${r.backend} on `));
    // Here neither tfjs-node nor a hardware GPU exists: every backend above the chosen one is skipped with a reason.
    const order = ['tensorflow', 'webgpu', 'wasm', 'cpu'];
    assert.is(r.skipped.length, order.indexOf(r.backend));
    r.skipped.forEach((s, i) => assert.ok(s.startsWith(`${order[i]}: `) && s.length > order[i]!.length + 4, s));
  } finally {
    if (saved !== undefined) process.env['DEBLUR_BACKEND'] = saved;
  }
});

test('DEBLUR_BACKEND overrides auto; the option overrides DEBLUR_BACKEND', async () => {
  const saved = process.env['DEBLUR_BACKEND'];
  try {
    process.env['DEBLUR_BACKEND'] = 'cpu';
    assert.is((await selectBackend(quiet)).backend, 'cpu');
    assert.is(tf.getBackend(), 'cpu');
    assert.is((await selectBackend({ ...quiet, backend: 'wasm' })).backend, 'wasm');
    assert.is(tf.getBackend(), 'wasm');
    process.env['DEBLUR_BACKEND'] = 'gpu-please';
    await selectBackend(quiet).then(
      () => assert.unreachable('accepted a bad DEBLUR_BACKEND'),
      (e: Error) => assert.match(e.message, /DEBLUR_BACKEND: unknown backend 'gpu-please'/),
    );
  } finally {
    if (saved === undefined) delete process.env['DEBLUR_BACKEND'];
    else process.env['DEBLUR_BACKEND'] = saved;
  }
});

test('asking for a backend that cannot load gives a clear error', async () => {
  let tfjsNode = true;
  try {
    require.resolve('@tensorflow/tfjs-node-gpu');
  } catch {
    tfjsNode = false;
  }
  if (tfjsNode) return; // a machine that has it: nothing to refuse
  await selectBackend({ ...quiet, backend: 'tensorflow' }).then(
    () => assert.unreachable('tensorflow started without tfjs-node'),
    (e: Error) => assert.match(e.message, /backend tensorflow is not available here: neither @tensorflow\/tfjs-node-gpu nor/),
  );
});

test('parseBackendName accepts the known names in any case and rejects others', () => {
  assert.is(parseBackendName(' WASM ', 'x'), 'wasm');
  assert.is(parseBackendName('auto', 'x'), 'auto');
  assert.throws(() => parseBackendName('cuda', '--backend'), /--backend: unknown backend 'cuda'/);
});

test.run();
