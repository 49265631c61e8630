import * as tf from '@tensorflow/tfjs';
import { spectrumL1PerImage } from './dft';

/** λ of the paper's eq. (6): weight of the frequency term. */
export const FFT_WEIGHT = 0.1;

/**
 * How the images of a batch enter the objective that is minimised:
 * - 'paper': the mean of eq. (6) over the batch, as MIMO-UNet and the paper train;
 * - 'log-per-image': the mean over images of log(L_i + ε), L_i eq. (6) of image i alone. Its
 *   gradient is each image's gradient divided by its own loss. L1's gradient is a sign per pixel,
 *   so under the paper's mean a nearly sharp pair pushes no harder than a heavily blurred one,
 *   although a small error there costs many more decibels; the log weighs each image by how far
 *   it is from right, as PSNR does (NAFNet's "PSNR loss" is this idea on the MSE). Adam normalises
 *   the gradient's scale, so the learning rate needs no change;
 * - 'relative': the mean over images of L_i / (L_i⁰ + ε), L_i⁰ the loss of image i left as it is
 *   (its blurred input against its target). A fixed weight per image, not one that follows the
 *   output as the log's does: an image the network makes worse than its input costs as much as
 *   the same share of error removed from a heavily blurred one earns, so harm to a sharp or barely
 *   blurred input is no longer nearly free.
 */
export type LossForm = 'paper' | 'log-per-image' | 'relative';
export const LOSS_FORMS: readonly LossForm[] = ['paper', 'log-per-image', 'relative'];

/** ε of the log-per-image form: below about this loss an image's weight stops growing (a pair the network already reproduces is not chased to the last bit). */
export const LOG_LOSS_FLOOR = 1e-3;

/**
 * ε of the relative form. An image left as it is scores about 0.3 on the paper's loss for a
 * median training blur (128² crops), 0.08 for a mild or camera-degraded one and 0 for a pristine
 * one: with this ε a pristine pair weighs about 8 median blurred ones, not the 1/L⁰ → ∞ that made
 * the log form settle on the identity.
 */
export const RELATIVE_LOSS_FLOOR = 5e-2;

export interface LossParts {
  /** Σ_k mean |S_k − R_k| over the three scales (eq. 4). */
  content: tf.Scalar;
  /** Σ_k mean |FFT(S_k) − FFT(R_k)|, real and imaginary parts together (eq. 5). */
  fft: tf.Scalar;
  /** content + λ·fft (eq. 6). */
  total: tf.Scalar;
  /** What the optimiser minimises: `total` for the paper's form, the mean log per image for 'log-per-image'. */
  objective: tf.Scalar;
}

/** Eq. (6)'s parts for each image of a batch alone, shape [B] each. */
export interface PerImageLoss {
  content: tf.Tensor1D;
  fft: tf.Tensor1D;
  /** content + λ·fft. */
  totals: tf.Tensor1D;
}

/**
 * The paper's multi-scale content + frequency loss, as MIMO-UNet computes it, image by image: L1
 * means per scale, summed; the FFT term on the unnormalised two-sided 2-D spectrum with real and
 * imaginary parts stacked (so its mean runs over 2·C·H·W numbers per image). The DFT is linear, so
 * FFT(S) − FFT(R) is computed as FFT(S − R): one transform per scale instead of two, and only its
 * half that the other half mirrors (spectrumL1).
 *
 * `outputs` and `targets` are both [S3, S2, S1] / [R3, R2, R1] (see imagePyramid).
 */
export function perImageLoss(outputs: tf.Tensor4D[], targets: tf.Tensor4D[], lambda = FFT_WEIGHT): PerImageLoss {
  if (outputs.length !== targets.length) throw new Error(`${outputs.length} outputs but ${targets.length} targets`);
  return tf.tidy(() => {
    let content: tf.Tensor = tf.zeros([outputs[0]!.shape[0]]);
    let fft: tf.Tensor = tf.zeros([outputs[0]!.shape[0]]);
    outputs.forEach((s, k) => {
      const r = targets[k]!;
      if (s.shape.join() !== r.shape.join()) throw new Error(`scale ${k}: output [${s.shape}] vs target [${r.shape}]`);
      const diff = tf.sub(s, r) as tf.Tensor4D;
      const perImage = diff.size / diff.shape[0];
      content = tf.add(content, tf.div(tf.sum(tf.reshape(tf.abs(diff), [diff.shape[0], -1]), 1), perImage));
      fft = tf.add(fft, tf.div(spectrumL1PerImage(diff), 2 * perImage));
    });
    return { content: content as tf.Tensor1D, fft: fft as tf.Tensor1D, totals: tf.add(content, tf.mul(fft, lambda)) as tf.Tensor1D };
  });
}

/**
 * Eq. (6) over a batch, and the objective `form` makes of it. The images of a batch have one size,
 * so the mean of the images' losses is the paper's mean over the whole batch. The 'relative' form
 * needs `inputs`, the blurred batch's pyramid, whose own loss (leaving the images as they are)
 * weighs each image.
 */
export function deblurLoss(outputs: tf.Tensor4D[], targets: tf.Tensor4D[], lambda = FFT_WEIGHT, form: LossForm = 'paper', inputs?: tf.Tensor4D[]): LossParts {
  if (form === 'relative' && inputs === undefined) throw new Error("the relative loss needs the blurred inputs' pyramid");
  return tf.tidy(() => {
    const parts = perImageLoss(outputs, targets, lambda);
    const total = tf.mean(parts.totals) as tf.Scalar;
    const objective =
      form === 'paper'
        ? total
        : form === 'log-per-image'
          ? (tf.mean(tf.log(tf.add(parts.totals, LOG_LOSS_FLOOR))) as tf.Scalar)
          : (tf.mean(tf.div(parts.totals, tf.add(perImageLoss(inputs!, targets, lambda).totals, RELATIVE_LOSS_FLOOR))) as tf.Scalar);
    return { content: tf.mean(parts.content) as tf.Scalar, fft: tf.mean(parts.fft) as tf.Scalar, total, objective };
  });
}
