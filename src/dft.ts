import * as tf from '@tensorflow/tfjs';

/**
 * A differentiable 2-D DFT as matrix products (tfjs's FFT kernels have no gradient and do not
 * exist on wasm). For a real image x (per batch and channel, H×W), with F_N = C_N − i·S_N,
 * C_N[k,n] = cos(2πkn/N), S_N[k,n] = sin(2πkn/N):
 *   Re X = C_H x C_W − S_H x S_W,   Im X = −(S_H x C_W + C_H x S_W)
 * computed as two matmuls: x·[C_W | S_W], then (transposed) ·[C_H | S_H].
 */

const bases = new Map<number, tf.Tensor2D>();

/** [C_N | S_N] as one [N, 2N] matrix, made once per N and kept (tf.keep) for reuse across steps. */
function cosSinBasis(n: number): tf.Tensor2D {
  let m = bases.get(n);
  if (m === undefined) {
    const values = new Float32Array(n * 2 * n);
    for (let k = 0; k < n; k++) {
      for (let j = 0; j < n; j++) {
        // (k·j) mod n keeps the angle small, so large N loses no precision.
        const angle = (2 * Math.PI * ((k * j) % n)) / n;
        values[k * 2 * n + j] = Math.cos(angle);
        values[k * 2 * n + n + j] = Math.sin(angle);
      }
    }
    m = tf.keep(tf.tensor2d(values, [n, 2 * n]));
    bases.set(n, m);
  }
  return m;
}

/** Frees the cached DFT matrices (they are rebuilt on demand). */
export function clearDftCache(): void {
  for (const m of bases.values()) m.dispose();
  bases.clear();
}

export interface Spectrum {
  /** Real and imaginary parts, [batch, channels, W, H]: note the transposed spatial axes. */
  re: tf.Tensor4D;
  im: tf.Tensor4D;
}

/**
 * Unnormalised two-sided 2-D DFT over H and W of x [batch, H, W, channels] (NHWC, real).
 * Returns the spectrum laid out [batch, channels, W, H] (frequency k_w, k_h): one transpose
 * fewer than [.., H, W], and the loss only needs every coefficient once. Use `spectrumHW` for
 * the usual layout.
 */
export function dft2d(x: tf.Tensor4D): Spectrum {
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const rows = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [b * c * h, w]); // each row: one image row
    const alongW = tf.matMul(rows, cosSinBasis(w)); // [bch, 2w]: x·C_W | x·S_W
    const cols = tf.reshape(tf.transpose(tf.reshape(alongW, [b * c, h, 2 * w]), [0, 2, 1]), [b * c * 2 * w, h]);
    const both = tf.reshape(tf.matMul(cols, cosSinBasis(h)), [b, c, 2, w, 2, h]);
    // both[.., p, kw, q, kh]: p = 0 → x·C_W, 1 → x·S_W; q = 0 → C_H·, 1 → S_H·
    const part = (p: number, q: number) => tf.reshape(tf.slice(both, [0, 0, p, 0, q, 0], [b, c, 1, w, 1, h]), [b, c, w, h]);
    const re = tf.sub(part(0, 0), part(1, 1));
    const im = tf.neg(tf.add(part(0, 1), part(1, 0)));
    return { re: re as tf.Tensor4D, im: im as tf.Tensor4D };
  });
}

/** The spectrum in the usual [batch, channels, H, W] layout (for display and tests). */
export function spectrumHW(x: tf.Tensor4D): Spectrum {
  return tf.tidy(() => {
    const { re, im } = dft2d(x);
    return { re: tf.transpose(re, [0, 1, 3, 2]), im: tf.transpose(im, [0, 1, 3, 2]) };
  });
}
