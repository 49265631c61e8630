import { dense, globalPool, multiply, reshape, type T } from './layers';

/**
 * Channel attention (RCAN's CA, SENet's SE): global average pool → 1×1 conv down + ReLU →
 * 1×1 conv up + sigmoid → rescale each channel. The 1×1 convs on a 1×1 map are dense layers.
 */
/** Hidden width of the attention MLP: C/r, but at least `minHidden` (and at most C). */
export function caHiddenWidth(channels: number, reduction: number, minHidden: number): number {
  return Math.min(channels, Math.max(minHidden, Math.floor(channels / reduction)));
}

export function channelAttention(x: T, channels: number, reduction: number, minHidden: number, name: string): T {
  const hidden = caHiddenWidth(channels, reduction, minHidden);
  const pooled = globalPool(x, `${name}_pool`);
  const down = dense(pooled, hidden, 'relu', `${name}_down`);
  const up = dense(down, channels, 'sigmoid', `${name}_up`);
  const scale = reshape(up, [1, 1, channels], `${name}_scale`);
  return multiply([x, scale], `${name}_mul`);
}
