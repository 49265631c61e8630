import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { original } from '../../src/kernels/support/replacing';
import { KERNEL_SETS, onBackend, seeded, sizeOf, startBackendForTest } from '../helpers';

// Copies must be exact: compare wasm (our kernels) against cpu (tfjs's own) bit for bit.
async function sameOnBothBackends(what: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const ref = await onBackend('cpu', fn);
  await startBackendForTest('wasm');
  const wasm = tf.engine().findBackend('wasm')!;
  const ids = wasm.numDataIds();
  const got = await onBackend('wasm', fn);
  assert.is(wasm.numDataIds(), ids, `${what}: buffers leaked`);
  assert.is(got.length, ref.length, `${what}: number of outputs`);
  got.forEach((g, i) => assert.equal(Array.from(g), Array.from(ref[i]!), `${what}: output ${i}`));
}

const x4 = () => tf.tensor(seeded(sizeOf([2, 7, 9, 5]), 11), [2, 7, 9, 5]);

test('Slice on wasm equals cpu: windows on every axis, whole tensors, contiguous row ranges, rank 1 to 5', async () => {
  const cases: [number[], number[], number[]][] = [
    [[2, 7, 9, 5], [0, 1, 2, 0], [2, 5, 6, 5]], // a conv tap window
    [[2, 7, 9, 5], [1, 0, 0, 0], [1, 7, 9, 5]], // one image: a contiguous run
    [[2, 7, 9, 5], [0, 0, 0, 1], [2, 7, 9, 3]], // a channel range: runs shorter than 16
    [[2, 7, 9, 5], [0, 0, 0, 0], [2, 7, 9, 5]], // everything
    [[2, 7, 9, 5], [0, 3, 0, 0], [-1, 0, -1, -1]], // empty, with -1 sizes
    [[126, 20], [5, 0], [100, 20]],
    [[126, 20], [0, 3], [126, 17]],
    [[40], [7], [20]],
    [[2, 3, 4, 5, 6], [1, 0, 1, 2, 0], [1, 3, 2, 3, 6]],
  ];
  for (const [shape, begin, size] of cases) {
    await sameOnBothBackends(`slice ${shape} ${begin} ${size}`, () => tf.slice(tf.tensor(seeded(sizeOf(shape), 3), shape), begin, size));
  }
  await sameOnBothBackends('int32 slice', () => tf.cast(tf.slice(tf.tensor(Int32Array.from({ length: 60 }, (_, i) => i), [5, 12], 'int32'), [1, 2], [3, 7]), 'float32'));
});

test('SplitV and Concat on wasm equal cpu on every axis, including uneven parts and a concat of one', async () => {
  for (let axis = 0; axis < 4; axis++) {
    const n = [2, 7, 9, 5][axis]!;
    const sizes = axis === 0 ? [1, 1] : [1, n - 3, 2];
    await sameOnBothBackends(`split axis ${axis}`, () => tf.split(x4(), sizes, axis));
    await sameOnBothBackends(`split-then-concat axis ${axis}`, () => tf.concat(tf.split(x4(), sizes, axis).reverse(), axis));
    await sameOnBothBackends(`concat of different widths, axis ${axis}`, () => {
      const a = x4();
      const shapeB = [2, 7, 9, 5];
      shapeB[axis] = 3;
      return tf.concat([a, tf.tensor(seeded(sizeOf(shapeB), 5), shapeB), a], axis);
    });
  }
  await sameOnBothBackends('concat of one', () => tf.concat([x4()], 3));
  await sameOnBothBackends('concat with a 40-wide inner run', () => tf.concat([tf.ones([3, 40]), tf.zeros([3, 2])], 1));
});

test('StridedSlice on wasm equals cpu for the strides the conv gradients use, and for masked forms it hands on', async () => {
  const x = () => tf.tensor(seeded(sizeOf([2, 9, 8, 3]), 4), [2, 9, 8, 3]);
  await sameOnBothBackends('stride 2 window', () => tf.stridedSlice(x(), [0, 1, 0, 0], [2, 9, 7, 3], [1, 2, 2, 1]));
  await sameOnBothBackends('stride 3 in channels', () => tf.stridedSlice(x(), [0, 0, 0, 0], [2, 9, 8, 3], [1, 1, 3, 3]));
  await sameOnBothBackends('begin mask and negative stride (original kernel)', () => tf.stridedSlice(x(), [0, 8, 0, 0], [2, 0, 8, 3], [1, -2, 1, 1], 1));
  await sameOnBothBackends('shrink axis (original kernel)', () => tf.stridedSlice(x(), [1, 0, 0, 0], [2, 9, 8, 3], [1, 1, 1, 1], 0, 0, 0, 0, 1));
});

test('Tile on wasm equals cpu: broadcasts of size-1 axes (doubling copies), and other tiles (the wasm kernel)', async () => {
  const cases: Array<[number[], number[]]> = [
    [[4, 1, 1, 8], [1, 16, 16, 1]], // the gradient of the channel attention's mean
    [[3, 1], [1, 1000]],
    [[1, 5, 1], [7, 1, 1]],
    [[2, 1, 3], [1, 5, 1]],
    [[3, 4], [2, 3]], // repeats full axes
  ];
  await startBackendForTest('wasm', 'wasm');
  assert.is.not(tf.getKernel('Tile', 'wasm')!.kernelFunc, original('Tile', 'wasm').kernelFunc, "the lab's Tile is registered over wasm's");
  for (const [shape, reps] of cases) {
    const fn = () => tf.tile(tf.tensor(seeded(sizeOf(shape), 3), shape), reps);
    const ref = await onBackend('cpu', fn);
    for (const kernels of KERNEL_SETS) {
      const got = await onBackend('wasm', fn, kernels);
      assert.equal(Array.from(got[0]!), Array.from(ref[0]!), `tile ${JSON.stringify(shape)} × ${JSON.stringify(reps)} on ${kernels}`);
    }
  }
});

test('Identity and same-dtype Cast on wasm share the buffer: no copy, and each tensor stays valid after the other is freed', async () => {
  await startBackendForTest('wasm');
  const wasm = tf.engine().findBackend('wasm')!;
  const a = tf.tensor([1, 2, 3, 4]);
  const ids = wasm.numDataIds();
  const b = tf.clone(a);
  const c = tf.cast(a, 'float32');
  assert.is(wasm.numDataIds(), ids, 'clone and cast to the same dtype allocate no buffer');
  a.dispose();
  assert.equal(Array.from(await b.data()), [1, 2, 3, 4]);
  b.dispose();
  assert.equal(Array.from(await c.data()), [1, 2, 3, 4]);
  const d = tf.cast(c, 'int32');
  assert.is(wasm.numDataIds(), ids + 1, 'a real conversion gets its own buffer');
  c.dispose();
  assert.equal(Array.from(await d.data()), [1, 2, 3, 4]);
  d.dispose();
  assert.is(wasm.numDataIds(), ids - 1, 'all freed');
});

test.run();
