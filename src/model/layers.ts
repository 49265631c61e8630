import * as tf from '@tensorflow/tfjs';
import { labConv2d } from './conv-layer';

/**
 * Thin, named wrappers over tfjs's built-in layers. The whole network is built from built-in
 * layers only (its Conv2D layers are conv-layer.ts's subclass, which saves as tfjs's own Conv2D),
 * so a saved model.json loads anywhere with plain `tf.loadLayersModel`, browsers included,
 * without registering any class of ours. Layer names are the module path
 * (e.g. `em2_b3_y4`), which is how probes and summaries find modules again after loading.
 */
export type T = tf.SymbolicTensor;

function apply(layer: tf.layers.Layer, x: T | T[]): T {
  return layer.apply(x) as T;
}

// Seed for the next kernel initializer while a seeded build runs (see withSeededInit).
let nextSeed: number | null = null;

/**
 * Runs `build` with every kernel initializer seeded from `seed`, seed+1, ... in layer order, so the
 * same config and seed give the same initial weights (for reproducible runs and tests).
 * Without a seed, tfjs's default (unseeded Glorot uniform) is used.
 */
export function withSeededInit<R>(seed: number | undefined, build: () => R): R {
  const previous = nextSeed;
  nextSeed = seed ?? null;
  try {
    return build();
  } finally {
    nextSeed = previous;
  }
}

function kernelInit(key: 'kernelInitializer' | 'depthwiseInitializer'): Record<string, ReturnType<typeof tf.initializers.glorotUniform>> {
  if (nextSeed === null) return {};
  return { [key]: tf.initializers.glorotUniform({ seed: nextSeed++ }) };
}

export interface ConvOpts {
  filters: number;
  kernel: number;
  stride?: number;
  relu?: boolean;
  name: string;
  /**
   * 'same' (default): tfjs's, which at stride 2 on an even size pads 0 before and 1 after;
   * 'symmetric': kernel/2 zeros on every side, as PyTorch's padding=k//2 (a `<name>_pad` layer).
   * At stride 1 both pad alike.
   */
  padding?: 'same' | 'symmetric';
}

/** MIMO-UNet's BasicConv: conv (bias) + optional ReLU. */
export function conv(x: T, o: ConvOpts): T {
  const symmetric = o.padding === 'symmetric' && o.kernel > 1;
  const p = Math.floor(o.kernel / 2);
  const input = symmetric ? apply(tf.layers.zeroPadding2d({ padding: [[p, p], [p, p]], name: `${o.name}_pad` }), x) : x;
  return apply(
    labConv2d({
      filters: o.filters,
      kernelSize: o.kernel,
      strides: o.stride ?? 1,
      padding: symmetric ? 'valid' : 'same',
      activation: o.relu ? 'relu' : 'linear',
      name: o.name,
      ...kernelInit('kernelInitializer'),
    }),
    input,
  );
}

/** Transposed conv, kernel 4 stride 2: exactly doubles H and W (PyTorch k4 s2 p1 pads the same way). */
export function upConv(x: T, filters: number, name: string): T {
  return apply(tf.layers.conv2dTranspose({ filters, kernelSize: 4, strides: 2, padding: 'same', activation: 'relu', name, ...kernelInit('kernelInitializer') }), x);
}

export function depthwise(x: T, kernel: number, name: string): T {
  return apply(tf.layers.depthwiseConv2d({ kernelSize: kernel, padding: 'same', name, ...kernelInit('depthwiseInitializer') }), x);
}

export function dense(x: T, units: number, activation: 'relu' | 'sigmoid' | 'linear', name: string): T {
  return apply(tf.layers.dense({ units, activation, name, ...kernelInit('kernelInitializer') }), x);
}

export const add = (xs: T[], name: string): T => apply(tf.layers.add({ name }), xs);
export const multiply = (xs: T[], name: string): T => apply(tf.layers.multiply({ name }), xs);
export const concat = (xs: T[], name: string): T => apply(tf.layers.concatenate({ axis: -1, name }), xs);
export const globalPool = (x: T, name: string): T => apply(tf.layers.globalAveragePooling2d({ name }), x);
export const reshape = (x: T, shape: number[], name: string): T => apply(tf.layers.reshape({ targetShape: shape, name }), x);
export const permute = (x: T, dims: number[], name: string): T => apply(tf.layers.permute({ dims, name }), x);
export const softmaxLast = (x: T, name: string): T => apply(tf.layers.softmax({ axis: -1, name }), x);

/**
 * Downscale by `factor` (a power of 2). 'box': the factor×factor mean (the 2×2 mean is bilinear ×½
 * with half-pixel centres). 'nearest': pixel (factor·i, factor·j), as PyTorch's
 * F.interpolate(x, scale_factor=1/factor) (a 1×1 pool with stride `factor`: no weights).
 */
export function downscale(x: T, factor: number, name: string, mode: 'box' | 'nearest' = 'box'): T {
  const poolSize = mode === 'box' ? factor : 1;
  return apply(tf.layers.averagePooling2d({ poolSize, strides: factor, padding: 'valid', name }), x);
}

/** Nearest-neighbour upscale by `factor`, as MIMO-UNet's F.interpolate(scale_factor=2). */
export function upscale(x: T, factor: number, name: string): T {
  return apply(tf.layers.upSampling2d({ size: [factor, factor], interpolation: 'nearest', name }), x);
}
