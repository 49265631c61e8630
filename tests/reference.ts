/** Independent float64 reference computations used by several tests. */

/** Naive O(N⁴) 2-D DFT in float64 by the definition, for one [H, W] plane. */
export function naiveDft(x: Float64Array | Float32Array, h: number, w: number): { re: Float64Array; im: Float64Array } {
  const re = new Float64Array(h * w);
  const im = new Float64Array(h * w);
  for (let u = 0; u < h; u++)
    for (let v = 0; v < w; v++) {
      let sr = 0;
      let si = 0;
      for (let y = 0; y < h; y++)
        for (let x0 = 0; x0 < w; x0++) {
          const a = -2 * Math.PI * ((u * y) / h + (v * x0) / w);
          sr += x[y * w + x0]! * Math.cos(a);
          si += x[y * w + x0]! * Math.sin(a);
        }
      re[u * w + v] = sr;
      im[u * w + v] = si;
    }
  return { re, im };
}
