import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { KERNEL_SETS, onBackend, relError, seeded, sizeOf } from '../helpers';

// MAXIM's three equations (660, 36 and 36 nodes of its graph) at MAXIM-like sizes, and others that
// exercise each kind of index: batch, contracted, free on either side, summed away, a permuted output.
const CASES: [string, number[], number[]][] = [
  ['abcg,gf->abcf', [1, 8, 8, 32], [32, 64]],
  ['abgd,gf->abdf', [1, 4, 16, 8], [16, 16]],
  ['gb,cgef->bcef', [16, 16], [1, 16, 8, 8]],
  ['ij,jk->ik', [5, 7], [7, 3]],
  ['bij,bjk->bik', [2, 3, 4], [2, 4, 5]],
  ['ij,kj->ki', [4, 6], [3, 6]],
  ['abc,cd->dba', [2, 3, 4], [4, 5]],
  ['ij,jk->i', [3, 4], [4, 5]],
  ['ik,jl->ijkl', [2, 3], [4, 5]],
];

const einsum = (eq: string, sa: number[], sb: number[]) => () => tf.einsum(eq, tf.tensor(seeded(sizeOf(sa), 1), sa), tf.tensor(seeded(sizeOf(sb), 2), sb));

test("Einsum on wasm (the lab's kernel: transposes and one batched matrix product) equals the cpu backend's, with and without the native kernels", async () => {
  for (const kernels of KERNEL_SETS) {
    for (const [eq, sa, sb] of CASES) {
      const [cpu] = await onBackend('cpu', einsum(eq, sa, sb));
      const [wasm] = await onBackend('wasm', einsum(eq, sa, sb), kernels);
      assert.ok(relError(wasm!, cpu!) < 1e-5, `${kernels} ${eq}: ${relError(wasm!, cpu!)}`);
    }
  }
});

test('Einsum on wasm: what it does not do fails with a message naming the equation', async () => {
  await onBackend('wasm', () => tf.scalar(0));
  assert.throws(() => tf.einsum('ii,ij->j', tf.ones([3, 3]), tf.ones([3, 2])), /Einsum 'ii,ij->j': an index repeated within one operand/);
  assert.throws(() => tf.einsum('ij,jk->ik', tf.ones([3, 4]), tf.ones([5, 2])), /index j is 4 in one operand and 5 in the other/);
});

test.run();
