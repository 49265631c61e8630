import * as tf from '@tensorflow/tfjs';
import { backend_util, util, type NamedAttrMap } from '@tensorflow/tfjs';
import { MUL_SUM } from '../ops/mul-sum';
import { reductionLayout } from '../support/reduction';

/**
 * Gradients of Mean and Multiply that write fewer full-size tensors than tfjs's own, with the
 * same values. Both sit in every channel attention (a global mean, then the feature map times a
 * per-channel scale) and in the loss:
 * - Mean: tfjs multiplies dy by a tensor of ones the input's size and divides the product by the
 *   count (a fill and two passes); here dy / count is broadcast once (a Tile, native on wasm).
 * - Multiply by a broadcast operand: tfjs writes the full-size product dy · other and then sums
 *   it; where the backend has DeblurMulSum (the native addon) that is one pass with no product
 *   written. Elsewhere, and for other shapes, tfjs's own computation.
 */

function meanGradient(dy: tf.Tensor, saved: tf.Tensor[], attrs: NamedAttrMap): Record<string, () => tf.Tensor> {
  const [x] = saved as [tf.Tensor];
  const axes = util.parseAxisParam(attrs['axis'] as number | number[], x.shape);
  const [, reduceShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
  const count = util.sizeFromShape(reduceShape);
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return { x: () => tf.broadcastTo(tf.div(tf.reshape(dy, kept), count), x.shape) };
}

/** Σ over `axes` of a · b (a, b of one shape), as the op tfjs would compute with mul then sum. */
export function mulSum(a: tf.Tensor, b: tf.Tensor, axes: number[]): tf.Tensor {
  const fused = tf.getKernel(MUL_SUM, tf.getBackend()) !== undefined && a.dtype === 'float32' && b.dtype === 'float32' && util.arraysEqual(a.shape, b.shape) && reductionLayout(a.shape, axes) !== undefined;
  if (fused) return tf.engine().runKernel(MUL_SUM, { a, b }, { axis: axes } as never) as tf.Tensor;
  return tf.sum(tf.mul(a, b), axes);
}

function multiplyGradient(dy: tf.Tensor, saved: tf.Tensor[]): Record<string, () => tf.Tensor> {
  const [a, b] = saved as [tf.Tensor, tf.Tensor];
  const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const derivative = (self: tf.Tensor, other: tf.Tensor) => (): tf.Tensor => {
    const otherF = tf.cast(other, 'float32');
    const axes = backend_util.getReductionAxes(self.shape, outShape);
    if (axes.length === 0) return tf.mul(dy, otherF);
    // The product's full shape is dy's: when `other` has it too, the reduction can skip the product.
    if (util.arraysEqual(otherF.shape, dy.shape)) return tf.reshape(mulSum(dy, otherF, axes), self.shape);
    return tf.reshape(tf.sum(tf.mul(dy, otherF), axes), self.shape);
  };
  return { a: derivative(a, b), b: derivative(b, a) };
}

let installed = false;

/** Registers the two gradients in place of tfjs's (global: the gradient registry has no backends). Idempotent. */
export function installLeanGradients(): void {
  if (installed) return;
  installed = true;
  tf.registerGradient({ kernelName: 'Mean', inputsToSave: ['x'], gradFunc: meanGradient as tf.GradConfig['gradFunc'] });
  tf.registerGradient({ kernelName: 'Multiply', inputsToSave: ['a', 'b'], gradFunc: multiplyGradient as tf.GradConfig['gradFunc'] });
}
