import { createRaster, type Raster } from '../data/raster';

/**
 * Perceptually ordered colour maps for scalar maps (error maps, receptive fields), as a few
 * control points interpolated linearly: matplotlib's viridis and magma sampled at evenly spaced
 * points (8 and 9 stops). `gray` is the identity.
 */
const STOPS = {
  viridis: ['440154', '46327e', '365c8d', '277f8e', '1fa187', '4ac16d', '9fda3a', 'fde725'],
  magma: ['000004', '1c1044', '4f127b', '812581', 'b5367a', 'e55064', 'fb8761', 'fec287', 'fcfdbf'],
  gray: ['000000', 'ffffff'],
} as const;

export type ColormapName = keyof typeof STOPS;
export const COLORMAPS = Object.keys(STOPS) as ColormapName[];

function rgb(hex: string): [number, number, number] {
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255) as [number, number, number];
}

/** The colour of t ∈ [0, 1] (clipped) in a map, as RGB in [0, 1]. */
export function colorAt(name: ColormapName, t: number): [number, number, number] {
  const stops = STOPS[name];
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const a = rgb(stops[i]!);
  const b = rgb(stops[i + 1]!);
  const f = x - i;
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

export interface ColorizeOptions {
  colormap?: ColormapName;
  /** Value range mapped to the ends of the map; default the map's own min and max. */
  range?: [number, number];
}

/** A scalar map ([H × W] row-major) as an RGB raster. */
export function colorize(values: ArrayLike<number>, width: number, height: number, o: ColorizeOptions = {}): Raster {
  if (values.length !== width * height) throw new Error(`colorize: ${values.length} values for ${width}×${height}`);
  let [lo, hi] = o.range ?? [Infinity, -Infinity];
  if (!o.range) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const span = hi > lo ? hi - lo : 1;
  const out = createRaster(width, height);
  const name = o.colormap ?? 'viridis';
  for (let i = 0; i < values.length; i++) out.data.set(colorAt(name, (values[i]! - lo) / span), i * 3);
  return out;
}
