import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors';

/** The network halves the resolution twice, so it needs H and W divisible by this. */
export const SIZE_MULTIPLE = 4;

export interface Restored {
  /** Restored images, coarse to fine: S3 (¼), S2 (½), S1 (full size). */
  s3: tf.Tensor4D;
  s2: tf.Tensor4D;
  s1: tf.Tensor4D;
}

function assertImageBatch(x: tf.Tensor): asserts x is tf.Tensor4D {
  if (x.rank !== 4 || x.shape[3] !== 3) {
    throw new UsageError(`expected an RGB image batch [batch, H, W, 3], got shape [${x.shape.join(', ')}]`);
  }
}

/**
 * Runs the network on images of any size ≥ 4×4: pads the bottom/right edges by mirror reflection
 * up to a multiple of 4, runs, and crops the outputs back (S1 to H×W, S2 to ⌈H/2⌉×⌈W/2⌉, S3 to
 * ⌈H/4⌉×⌈W/4⌉). Use inside tf.tidy or dispose the results.
 */
export function restore(model: tf.LayersModel, blurred: tf.Tensor, training = false): Restored {
  assertImageBatch(blurred);
  const [, h, w] = blurred.shape;
  if (h < SIZE_MULTIPLE || w < SIZE_MULTIPLE) throw new UsageError(`image ${w}×${h} is too small: the network needs at least 4×4`);
  const ph = (SIZE_MULTIPLE - (h % SIZE_MULTIPLE)) % SIZE_MULTIPLE;
  const pw = (SIZE_MULTIPLE - (w % SIZE_MULTIPLE)) % SIZE_MULTIPLE;
  return tf.tidy(() => {
    const input = ph + pw === 0 ? blurred : tf.mirrorPad(blurred, [[0, 0], [0, ph], [0, pw], [0, 0]], 'symmetric');
    const [s3, s2, s1] = model.apply(input, { training }) as tf.Tensor4D[];
    const crop = (t: tf.Tensor4D, f: number) => (ph + pw === 0 ? t : tf.slice(t, [0, 0, 0, 0], [-1, Math.ceil(h / f), Math.ceil(w / f), 3]));
    return { s3: crop(s3!, 4), s2: crop(s2!, 2), s1: crop(s1!, 1) };
  });
}
