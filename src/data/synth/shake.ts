import { createRaster, splatBilinear, type Raster } from '../raster';
import type { CameraPath, Pose } from './camera-path';
import { fromLinear, toLinear } from './gamma';

/** A region of the frame to synthesise: the blurred crop is made from the whole frame around it. */
export interface Window {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface ShakeResult {
  /** Plain average of the warped sRGB frames (GoPro's `blur/`). */
  blur: Raster;
  /** Average in linear light, then gamma 2.2 again (GoPro's `blur_gamma/`). */
  blurGamma: Raster;
}

/** Inverse of applyPose: the sharp-frame point that pose `p` moves to (x, y). */
function unapply(p: Pose, x: number, y: number, cx: number, cy: number): [number, number] {
  const c = Math.cos(p.theta);
  const s = Math.sin(p.theta);
  const ux = x - cx - p.dx;
  const uy = y - cy - p.dy;
  return [c * ux + s * uy + cx, -s * ux + c * uy + cy];
}

/** Adds weight × bilinear sample of `src` at (x, y) (edges clamped) into acc[o..o+2]. */
function addBilinear(src: Raster, x: number, y: number, weight: number, acc: Float64Array, o: number): void {
  const w = src.width;
  const h = src.height;
  const xc = Math.min(Math.max(x, 0), w - 1);
  const yc = Math.min(Math.max(y, 0), h - 1);
  const x0 = Math.min(Math.floor(xc), w - 2 < 0 ? 0 : w - 2);
  const y0 = Math.min(Math.floor(yc), h - 2 < 0 ? 0 : h - 2);
  const x1 = Math.min(x0 + 1, w - 1);
  const y1 = Math.min(y0 + 1, h - 1);
  const fx = xc - x0;
  const fy = yc - y0;
  const d = src.data;
  const i00 = (y0 * w + x0) * 3;
  const i01 = (y0 * w + x1) * 3;
  const i10 = (y1 * w + x0) * 3;
  const i11 = (y1 * w + x1) * 3;
  const w00 = (1 - fx) * (1 - fy) * weight;
  const w01 = fx * (1 - fy) * weight;
  const w10 = (1 - fx) * fy * weight;
  const w11 = fx * fy * weight;
  for (let c = 0; c < 3; c++) acc[o + c]! += w00 * d[i00 + c]! + w01 * d[i01 + c]! + w10 * d[i10 + c]! + w11 * d[i11 + c]!;
}

/** Averages `image` warped to every pose of the path, over the window (frame coordinates). */
export function warpAverage(image: Raster, path: CameraPath, win: Window): Raster {
  return createRaster(win.width, win.height, Float32Array.from(averageWarps(image, path, win)));
}

function averageWarps(image: Raster, path: CameraPath, win: Window): Float64Array {
  const acc = new Float64Array(win.width * win.height * 3);
  const cx = (path.width - 1) / 2;
  const cy = (path.height - 1) / 2;
  const weight = 1 / path.poses.length;
  for (const pose of path.poses) {
    for (let y = 0; y < win.height; y++) {
      for (let x = 0; x < win.width; x++) {
        const [sx, sy] = unapply(pose, win.left + x, win.top + y, cx, cy);
        addBilinear(image, sx, sy, weight, acc, (y * win.width + x) * 3);
      }
    }
  }
  return acc;
}

/**
 * GoPro-style non-uniform blur of one frame: warp the sharp frame to each pose of the camera path,
 * average. Both of GoPro's variants: `blur` averages the sRGB values, `blurGamma` averages in linear
 * light (gamma 2.2) and re-applies the gamma. Samples outside the frame repeat its edge, so choose
 * windows at least the blur extent away from the frame's border. Not quantised: see quantize8.
 */
export function shakeBlur(frame: Raster, path: CameraPath, win: Window = { left: 0, top: 0, width: frame.width, height: frame.height }): ShakeResult {
  if (frame.width !== path.width || frame.height !== path.height) {
    throw new Error(`shakeBlur: path made for ${path.width}×${path.height}, frame is ${frame.width}×${frame.height}`);
  }
  if (win.left < 0 || win.top < 0 || win.left + win.width > frame.width || win.top + win.height > frame.height) {
    throw new Error(`shakeBlur: window outside the frame`);
  }
  return { blur: warpAverage(frame, path, win), blurGamma: fromLinear(warpAverage(toLinear(frame), path, win)) };
}

/**
 * The point-spread function at frame pixel (x, y): where the light reaching that blurred pixel came
 * from, as a size × size map of weights (summing to 1 while it fits) centred on the pixel. Shows how
 * the blur changes across the frame.
 */
export function pointSpread(path: CameraPath, x: number, y: number, size: number): Float32Array {
  const psf = new Float32Array(size * size);
  const cx = (path.width - 1) / 2;
  const cy = (path.height - 1) / 2;
  const half = (size - 1) / 2;
  for (const pose of path.poses) {
    const [sx, sy] = unapply(pose, x, y, cx, cy);
    splatBilinear(psf, size, sx - x + half, sy - y + half, 1 / path.poses.length);
  }
  return psf;
}
