import type { Rng } from '../../random';
import { createRaster, mirrorIndex, splatBilinear, type Raster } from '../raster';
import { fromLinear, toLinear } from './gamma';

/**
 * Uniform motion blur from random camera trajectories, after Boracchi & Foi (2012, "Modeling the
 * performance of image restoration from motion blur"), the generator DeblurGAN used: a particle
 * with constant speed whose velocity is nudged by Gaussian noise, pulled back towards the start
 * (centripetal term) and, rarely, jerked into an abrupt turn ("big shakes"), all scaled by a random
 * "anxiety". The kernel is the trajectory sampled onto a pixel grid.
 */
export interface Trajectory {
  x: Float64Array;
  y: Float64Array;
}

export interface TrajectoryOptions {
  /** Total path length in pixels (the blur extent). */
  length: number;
  /** Steps of the particle simulation. */
  steps?: number;
  /** Overrides the random anxiety in [0, 0.1) (larger: more erratic). */
  anxiety?: number;
}

export function randomTrajectory(rng: Rng, o: TrajectoryOptions): Trajectory {
  const steps = o.steps ?? 2000;
  const anxiety = o.anxiety ?? rng.uniform(0, 0.1);
  const centripetal = rng.uniform(0, 0.7);
  const gaussian = rng.uniform(0, 10);
  const bigShakes = rng.uniform(0, 0.2);
  const stepLength = o.length / (steps - 1);
  const angle = rng.uniform(0, 2 * Math.PI);
  let vx = Math.cos(angle) * stepLength;
  let vy = Math.sin(angle) * stepLength;
  const x = new Float64Array(steps);
  const y = new Float64Array(steps);
  for (let t = 0; t < steps - 1; t++) {
    let jx = 0;
    let jy = 0;
    if (rng.bernoulli(bigShakes * anxiety)) {
      // An abrupt turn: about a half-turn, ±0.5 rad.
      const turn = Math.PI + rng.uniform(-0.5, 0.5);
      jx = 2 * (vx * Math.cos(turn) - vy * Math.sin(turn));
      jy = 2 * (vx * Math.sin(turn) + vy * Math.cos(turn));
    }
    vx += jx + anxiety * (gaussian * rng.normal() - centripetal * x[t]!) * stepLength;
    vy += jy + anxiety * (gaussian * rng.normal() - centripetal * y[t]!) * stepLength;
    const speed = Math.hypot(vx, vy) || 1;
    vx = (vx / speed) * stepLength; // constant speed: the length is exactly `length`
    vy = (vy / speed) * stepLength;
    x[t + 1] = x[t]! + vx;
    y[t + 1] = y[t]! + vy;
  }
  return { x, y };
}

/** The largest distance between two points of the trajectory: its blur extent. */
export function trajectorySpan(t: Trajectory): number {
  let span = 0;
  for (let i = 0; i < t.x.length; i++) {
    for (let j = i + 1; j < t.x.length; j++) span = Math.max(span, Math.hypot(t.x[i]! - t.x[j]!, t.y[i]! - t.y[j]!));
  }
  return span;
}

/** The trajectory scaled about its start so that its span is `extent` pixels. */
export function withSpan(t: Trajectory, extent: number): Trajectory {
  const k = extent / (trajectorySpan(t) || 1);
  return { x: t.x.map((v) => v * k), y: t.y.map((v) => v * k) };
}

export interface Kernel {
  size: number;
  /** size × size, row-major, summing to 1. */
  weights: Float32Array;
}

/**
 * The blur kernel of a trajectory: each of its first `exposure` share of points is splatted
 * bilinearly onto a size × size grid, with the trajectory's centroid at the centre (so blurring does
 * not shift the image). `size` defaults to the smallest odd size that holds the whole path.
 */
export function trajectoryKernel(traj: Trajectory, o: { size?: number; exposure?: number } = {}): Kernel {
  const n = Math.max(1, Math.round(traj.x.length * (o.exposure ?? 1)));
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += traj.x[i]! / n;
    my += traj.y[i]! / n;
  }
  let reach = 0;
  for (let i = 0; i < n; i++) reach = Math.max(reach, Math.abs(traj.x[i]! - mx), Math.abs(traj.y[i]! - my));
  const size = o.size ?? 2 * Math.ceil(reach + 1) + 1;
  const half = (size - 1) / 2;
  const weights = new Float32Array(size * size);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += splatBilinear(weights, size, traj.x[i]! - mx + half, traj.y[i]! - my + half, 1);
  }
  for (let i = 0; i < weights.length; i++) weights[i]! /= total;
  return { size, weights };
}

/** Correlates every channel with the kernel (mirror edges); only non-zero taps cost time. */
export function convolve(r: Raster, k: Kernel): Raster {
  const half = (k.size - 1) / 2;
  const taps: Array<[number, number, number]> = [];
  for (let v = 0; v < k.size; v++) {
    for (let u = 0; u < k.size; u++) if (k.weights[v * k.size + u]! > 0) taps.push([u - half, v - half, k.weights[v * k.size + u]!]);
  }
  const { width: w, height: h, data } = r;
  const acc = new Float64Array(data.length);
  for (const [du, dv, wt] of taps) {
    for (let y = 0; y < h; y++) {
      const sy = mirrorIndex(y + dv, h);
      for (let x = 0; x < w; x++) {
        const si = (sy * w + mirrorIndex(x + du, w)) * 3;
        const o = (y * w + x) * 3;
        acc[o]! += wt * data[si]!;
        acc[o + 1]! += wt * data[si + 1]!;
        acc[o + 2]! += wt * data[si + 2]!;
      }
    }
  }
  return createRaster(w, h, Float32Array.from(acc));
}

/** Uniform blur with GoPro's two conventions: `blur` in sRGB, `blurGamma` in linear light. */
export function kernelBlur(sharp: Raster, k: Kernel): { blur: Raster; blurGamma: Raster } {
  return { blur: convolve(sharp, k), blurGamma: fromLinear(convolve(toLinear(sharp), k)) };
}
