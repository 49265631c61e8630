import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors';
import { imagePyramid } from '../pyramid';
import type { AutoTiling } from './deblur';

/**
 * A restoration network from elsewhere (e.g. MAXIM, src/peers/): it takes any image size and
 * restores at full size only.
 */
export interface PeerNetwork {
  /** The peer's name, as `--weights` takes it. */
  peer: string;
  /** [N, H, W, 3] in [0, 1] → the restored image, same size. The caller disposes it. */
  restoreFull(blurred: tf.Tensor4D): tf.Tensor4D;
  dispose(): void;
  /** What tiling 'auto' means for it, where not the lab's (src/infer/deblur.ts). */
  autoTiling?: AutoTiling;
}

/** What restore() runs: the lab's network, or a peer. */
export type Network = tf.LayersModel | PeerNetwork;

export function isPeer(n: Network): n is PeerNetwork {
  return typeof (n as PeerNetwork).peer === 'string';
}

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
 * Mirror-pads the bottom/right edges of an image batch up to a multiple of 4 (the reflection
 * restore() uses). `tensor` is a new tensor either way; the caller disposes it.
 */
export function padToMultiple(images: tf.Tensor4D): { tensor: tf.Tensor4D; padH: number; padW: number } {
  const [, h, w] = images.shape;
  const padH = (SIZE_MULTIPLE - (h % SIZE_MULTIPLE)) % SIZE_MULTIPLE;
  const padW = (SIZE_MULTIPLE - (w % SIZE_MULTIPLE)) % SIZE_MULTIPLE;
  const tensor = padH + padW === 0 ? tf.clone(images) : tf.mirrorPad(images, [[0, 0], [0, padH], [0, padW], [0, 0]], 'symmetric');
  return { tensor, padH, padW };
}

/**
 * Runs the network on images of any size ≥ 4×4: pads the bottom/right edges by mirror reflection
 * up to a multiple of 4, runs, and crops the outputs back (S1 to H×W, S2 to ⌈H/2⌉×⌈W/2⌉, S3 to
 * ⌈H/4⌉×⌈W/4⌉). Use inside tf.tidy or dispose the results.
 */
export function restore(model: Network, blurred: tf.Tensor, training = false): Restored {
  assertImageBatch(blurred);
  const [, h, w] = blurred.shape;
  if (h < SIZE_MULTIPLE || w < SIZE_MULTIPLE) throw new UsageError(`image ${w}×${h} is too small: the network needs at least 4×4`);
  if (isPeer(model)) return restoreByPeer(model, blurred);
  return tf.tidy(() => {
    const { tensor: input, padH, padW } = padToMultiple(blurred);
    const [s3, s2, s1] = model.apply(input, { training }) as tf.Tensor4D[];
    const crop = (t: tf.Tensor4D, f: number) => (padH + padW === 0 ? t : tf.slice(t, [0, 0, 0, 0], [-1, Math.ceil(h / f), Math.ceil(w / f), 3]));
    return { s3: crop(s3!, 4), s2: crop(s2!, 2), s1: crop(s1!, 1) };
  });
}

/**
 * A peer restores at full size only: its S2 and S3 are that output box-downscaled the way the
 * targets are (padded like the lab's input, cropped like its outputs), so per-scale scores compare
 * like with like.
 */
function restoreByPeer(peer: PeerNetwork, blurred: tf.Tensor4D): Restored {
  const s1 = peer.restoreFull(blurred);
  const [s3, s2] = pyramidAnySize(s1);
  return { s3, s2, s1 };
}

/** [R3, R2]: imagePyramid of an image batch of any size, padded like restore() and cropped like its outputs. */
export function pyramidAnySize(image: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
  return tf.tidy(() => {
    const [, h, w] = image.shape;
    const { tensor } = padToMultiple(image);
    const [q, half] = imagePyramid(tensor);
    return [tf.slice(q, [0, 0, 0, 0], [-1, Math.ceil(h / 4), Math.ceil(w / 4), 3]), tf.slice(half, [0, 0, 0, 0], [-1, Math.ceil(h / 2), Math.ceil(w / 2), 3])];
  });
}
