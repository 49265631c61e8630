import { conv, downscale, upscale, type T } from './layers';

/** How a finer level is brought down: a box mean (the lab) or nearest (MIMO-UNet's AFF). */
export type DownMode = 'box' | 'nearest';

/**
 * Brings encoder level `from` (1..3) to level `to`'s resolution and `channels` with a 1×1 conv.
 * A 1×1 conv commutes with box or nearest downscaling and nearest upscaling, so it is applied at the
 * lower of the two resolutions: the same function, fewer multiply-adds.
 */
export function resampleTo(x: T, from: number, to: number, channels: number, name: string, down: DownMode = 'box'): T {
  if (from === to) return conv(x, { filters: channels, kernel: 1, name: `${name}_conv` });
  if (from < to) {
    const small = downscale(x, 2 ** (to - from), `${name}_down`, down);
    return conv(small, { filters: channels, kernel: 1, name: `${name}_conv` });
  }
  const mapped = conv(x, { filters: channels, kernel: 1, name: `${name}_conv` });
  return upscale(mapped, 2 ** (from - to), `${name}_up`);
}

/** Resamples without changing channels (for AFF, which concatenates then convolves). */
export function resampleOnly(x: T, from: number, to: number, name: string, down: DownMode = 'box'): T {
  if (from === to) return x;
  return from < to ? downscale(x, 2 ** (to - from), `${name}_down`, down) : upscale(x, 2 ** (from - to), `${name}_up`);
}
