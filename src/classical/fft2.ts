import FFT from 'fft.js';

/**
 * 2-D discrete Fourier transform of H×W complex planes (re, im as separate float64 arrays,
 * row-major), H and W powers of two, on fft.js's radix-4 1-D transform: rows, then columns.
 * Unnormalised forward, 1/(H·W) inverse (numpy.fft's convention).
 */
export class Fft2 {
  private readonly rows: FFT;
  private readonly cols: FFT;
  private readonly line: Float64Array;
  private readonly spectrum: Float64Array;

  constructor(
    readonly height: number,
    readonly width: number,
  ) {
    for (const [name, n] of [['height', height], ['width', width]] as const) {
      if (!(Number.isInteger(n) && n >= 2 && (n & (n - 1)) === 0)) throw new Error(`Fft2: ${name} must be a power of two, at least 2 (got ${n})`);
    }
    this.rows = new FFT(width);
    this.cols = new FFT(height);
    this.line = new Float64Array(2 * Math.max(width, height));
    this.spectrum = new Float64Array(2 * Math.max(width, height));
  }

  /** Transforms (re, im) in place. */
  forward(re: Float64Array, im: Float64Array): void {
    this.pass(re, im, false);
  }

  /** Inverse transform of (re, im) in place, scaled by 1/(H·W). */
  inverse(re: Float64Array, im: Float64Array): void {
    this.pass(re, im, true);
  }

  private pass(re: Float64Array, im: Float64Array, inverse: boolean): void {
    const { width: w, height: h } = this;
    if (re.length !== w * h || im.length !== w * h) throw new Error(`Fft2: planes of ${re.length} and ${im.length} values for ${h}×${w}`);
    const run = (f: FFT, n: number, at: (k: number) => number): void => {
      const line = this.line.subarray(0, 2 * n);
      const out = this.spectrum.subarray(0, 2 * n);
      for (let k = 0; k < n; k++) {
        line[2 * k] = re[at(k)]!;
        line[2 * k + 1] = im[at(k)]!;
      }
      if (inverse) f.inverseTransform(out, line);
      else f.transform(out, line);
      for (let k = 0; k < n; k++) {
        re[at(k)] = out[2 * k]!;
        im[at(k)] = out[2 * k + 1]!;
      }
    };
    for (let y = 0; y < h; y++) run(this.rows, w, (k) => y * w + k);
    for (let x = 0; x < w; x++) run(this.cols, h, (k) => k * w + x);
  }
}

/** The smallest power of two ≥ n (and ≥ 2). */
export function nextPowerOfTwo(n: number): number {
  let p = 2;
  while (p < n) p *= 2;
  return p;
}
