import * as tf from '@tensorflow/tfjs';
import { spectrumL1 } from './dft';

/** λ of the paper's eq. (6): weight of the frequency term. */
export const FFT_WEIGHT = 0.1;

export interface LossParts {
  /** Σ_k mean |S_k − R_k| over the three scales (eq. 4). */
  content: tf.Scalar;
  /** Σ_k mean |FFT(S_k) − FFT(R_k)|, real and imaginary parts together (eq. 5). */
  fft: tf.Scalar;
  /** content + λ·fft (eq. 6). */
  total: tf.Scalar;
}

/**
 * The paper's multi-scale content + frequency loss, as MIMO-UNet computes it: L1 means per scale,
 * summed; the FFT term on the unnormalised two-sided 2-D spectrum with real and imaginary parts
 * stacked (so its mean runs over 2·B·C·H·W numbers). The DFT is linear, so FFT(S) − FFT(R) is
 * computed as FFT(S − R): one transform per scale instead of two, and only its half that the
 * other half mirrors (spectrumL1).
 *
 * `outputs` and `targets` are both [S3, S2, S1] / [R3, R2, R1] (see imagePyramid).
 */
export function deblurLoss(outputs: tf.Tensor4D[], targets: tf.Tensor4D[], lambda = FFT_WEIGHT): LossParts {
  if (outputs.length !== targets.length) throw new Error(`${outputs.length} outputs but ${targets.length} targets`);
  return tf.tidy(() => {
    let content: tf.Tensor = tf.scalar(0);
    let fft: tf.Tensor = tf.scalar(0);
    outputs.forEach((s, k) => {
      const r = targets[k]!;
      if (s.shape.join() !== r.shape.join()) throw new Error(`scale ${k}: output [${s.shape}] vs target [${r.shape}]`);
      const diff = tf.sub(s, r) as tf.Tensor4D;
      content = tf.add(content, tf.mean(tf.abs(diff)));
      fft = tf.add(fft, tf.div(spectrumL1(diff), 2 * diff.size));
    });
    const total = tf.add(content, tf.mul(fft, lambda));
    return { content: content as tf.Scalar, fft: fft as tf.Scalar, total: total as tf.Scalar };
  });
}
