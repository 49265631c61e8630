import * as tf from '@tensorflow/tfjs';
import { WASM_HEAP_MAX } from '../backend';
import { UsageError } from '../errors';
import { deblurLoss } from '../loss';
import { imagePyramid } from '../pyramid';

/** The crop side of the probe step: small enough to be quick, large enough that per-pixel costs dominate. */
const PROBE_CROP = 64;
/**
 * The wasm heap exceeds tfjs's own peak tensor bytes by allocator slack and XNNPACK's scratch.
 * Measured for lite and full training steps from 1 × 64² to 2 × 256²: heap ≈ 1.04 × peak + 60–80 MiB.
 */
export const HEAP_OVER_TENSORS = 1.08;
export const HEAP_FIXED_BYTES = 128 * 2 ** 20;

/**
 * Peak tensor bytes per input pixel of one training step (forward, loss, backward) of `model`,
 * measured with tf.profile on a 1 × 64² probe. The tape keeps every activation until the backward
 * pass, so the peak grows in proportion to batch × crop²; the probe's weights are not updated.
 */
export async function trainingBytesPerPixel(model: tf.LayersModel, lambda?: number): Promise<number> {
  const x = tf.fill([1, PROBE_CROP, PROBE_CROP, 3], 0.5) as tf.Tensor4D;
  const targets = imagePyramid(x);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const info = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => deblurLoss(model.apply(x, { training: true }) as tf.Tensor4D[], targets, lambda).total, vars);
    tf.dispose([value, ...Object.values(grads)]);
  });
  tf.dispose([x, ...targets]);
  return info.peakBytes / (PROBE_CROP * PROBE_CROP);
}

export interface HeapPlan {
  /** Estimated wasm heap for one step. */
  bytes: number;
  fits: boolean;
  /** The largest batch that fits at this crop (0 if none), and the largest crop (a multiple of 4) at this batch. */
  maxBatch: number;
  maxCrop: number;
}

export function planHeap(bytesPerPixel: number, batch: number, crop: number, ceiling = WASM_HEAP_MAX): HeapPlan {
  const perPixel = bytesPerPixel * HEAP_OVER_TENSORS;
  const bytes = HEAP_FIXED_BYTES + perPixel * batch * crop * crop;
  const room = ceiling - HEAP_FIXED_BYTES;
  return {
    bytes,
    fits: bytes <= ceiling,
    maxBatch: Math.max(0, Math.floor(room / (perPixel * crop * crop))),
    maxCrop: Math.max(0, Math.floor(Math.sqrt(room / (perPixel * batch)) / 4) * 4),
  };
}

/** Refuses, with the sizes that would fit, a training step too large for the wasm heap (which would fail silently or crash). */
export async function assertTrainingFits(model: tf.LayersModel, batch: number, crop: number, what: string): Promise<HeapPlan> {
  const plan = planHeap(await trainingBytesPerPixel(model), batch, crop);
  if (!plan.fits) {
    const gib = (b: number): string => (b / 2 ** 30).toFixed(1);
    const options = [plan.maxBatch > 0 ? `--batch ${plan.maxBatch} at this crop` : '', plan.maxCrop >= 16 ? `--crop ${plan.maxCrop} at this batch` : ''].filter((s) => s);
    throw new UsageError(
      `${what} at batch ${batch} × ${crop}² needs about ${gib(plan.bytes)} GiB of wasm heap, more than its 4 GiB ceiling` +
        (options.length ? `; what fits: ${options.join(', or ')}` : '; nothing this size fits: use a narrower network'),
    );
  }
  return plan;
}
