import * as tf from '@tensorflow/tfjs';

/**
 * A differentiable 2-D DFT as matrix products (tfjs's FFT kernels have no gradient and do not
 * exist on wasm). For a real image x (per batch and channel, H×W), with F_N = C_N − i·S_N,
 * C_N[k,n] = cos(2πkn/N), S_N[k,n] = sin(2πkn/N):
 *   Re X = C_H x C_W − S_H x S_W,   Im X = −(S_H x C_W + C_H x S_W)
 * computed as two matmuls: x·[C_W | S_W], then (transposed) ·[C_H | S_H].
 */

const bases = new Map<string, tf.Tensor2D>();

/** [C_N | S_N] as one [N, 2N] matrix, made once per N and kept (tf.keep) for reuse across steps. */
function cosSinBasis(n: number): tf.Tensor2D {
  // Kept per backend: a tensor made on one backend cannot be read on another (webgpu in Node refuses sync reads).
  const key = `${tf.getBackend()}:${n}`;
  let m = bases.get(key);
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
    bases.set(key, m);
  }
  return m;
}

/** Frees the cached DFT matrices (they are rebuilt on demand). */
export function clearDftCache(): void {
  for (const m of [...bases.values(), ...halfBases.values()]) m.dispose();
  bases.clear();
  halfBases.clear();
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

const halfBases = new Map<string, tf.Tensor>();

/** Cached constant tensors of the half-spectrum L1: [C_W' | S_W'] for W' = ⌊W/2⌋ + 1 columns, C_H, S_H, and the column weights. */
function halfBasis(name: string, make: () => tf.Tensor): tf.Tensor {
  const key = `${tf.getBackend()}:${name}`;
  let t = halfBases.get(key);
  if (t === undefined) {
    t = tf.keep(make());
    halfBases.set(key, t);
  }
  return t;
}

/**
 * Σ (|Re X| + |Im X|) over the whole two-sided 2-D spectrum X of each H×W plane of the real x
 * [batch, H, W, channels], summed over batch and channels: the FFT loss's numerator.
 *
 * For real x the spectrum is conjugate-symmetric, X[kh, kw] = conj(X[−kh, −kw]), so columns
 * kw and W − kw hold the same magnitudes of both parts. Only the columns kw = 0 … ⌊W/2⌋ are
 * computed, each counted twice except kw = 0 and (for even W) kw = W/2, which are their own
 * mirror: half the matrix work of dft2d. Every tensor stays rank 4 or less (WebGPU's shaders
 * fail above rank 4 for some ops, their gradients included).
 */
export function spectrumL1(x: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => tf.sum(spectrumL1PerImage(x)) as tf.Scalar);
}

/** spectrumL1 of each image of the batch apart: [batch]. */
export function spectrumL1PerImage(x: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const half = Math.floor(w / 2) + 1;
    const basisW = halfBasis(`w${w}`, () => tf.slice(cosSinBasis(w), [0, 0], [w, w]).concat(tf.slice(cosSinBasis(w), [0, w], [w, w]), 1).gather(tf.tensor1d([...range(half), ...range(half).map((k) => w + k)], 'int32'), 1)) as tf.Tensor2D;
    const cosH = halfBasis(`ch${h}`, () => tf.slice(cosSinBasis(h), [0, 0], [h, h])) as tf.Tensor2D;
    const sinH = halfBasis(`sh${h}`, () => tf.slice(cosSinBasis(h), [0, h], [h, h])) as tf.Tensor2D;
    const weights = halfBasis(`k${w}`, () => tf.tensor4d(range(half).map((k) => (k === 0 || 2 * k === w ? 1 : 2)), [1, 1, half, 1]));
    const rows = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [b * c * h, w]); // each row: one image row
    const alongW = tf.matMul(rows, basisW); // [bch, 2·half]: x·C_W' | x·S_W'
    const cols = tf.reshape(tf.transpose(tf.reshape(alongW, [b * c, h, 2 * half]), [0, 2, 1]), [b * c * 2 * half, h]);
    const byCos = tf.reshape(tf.matMul(cols, cosH), [b * c, 2, half, h]); // [.., p, kw, kh]: p = 0 → x·C_W, 1 → x·S_W
    const bySin = tf.reshape(tf.matMul(cols, sinH), [b * c, 2, half, h]);
    const part = (t: tf.Tensor4D, p: number): tf.Tensor => tf.slice(t, [0, p, 0, 0], [b * c, 1, half, h]);
    const re = tf.sub(part(byCos as tf.Tensor4D, 0), part(bySin as tf.Tensor4D, 1));
    const im = tf.add(part(bySin as tf.Tensor4D, 0), part(byCos as tf.Tensor4D, 1)); // −Im: the sign does not change |Im|
    // Rows are (image, channel) pairs, image-major: a reshape to [batch, rest] groups each image's.
    return tf.sum(tf.reshape(tf.mul(tf.add(tf.abs(re), tf.abs(im)), weights), [b, -1]), 1) as tf.Tensor1D;
  });
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
