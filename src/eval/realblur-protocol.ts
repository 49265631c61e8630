import { spawnSync } from 'node:child_process';
import { createRaster, type Raster } from '../data/raster';
import { UsageError } from '../errors';
import { moduleArgs, PYTHON, pythonEnv } from '../python';
import { maskedPsnr, maskedSsim, SSIM_WINDOW } from '../metrics';

/**
 * RealBlur's scoring protocol (Rim et al., ECCV 2020): the sharp and blurred photos of a pair were
 * taken by two cameras through a beam splitter, so a restoration is aligned to its ground truth
 * before it is scored. The alignment is OpenCV's ECC (Debian's python3-opencv, through
 * python/deblur_twin/realblur_align.py: the npm builds of OpenCV leave findTransformECC out); the masked scores are
 * the lab's own metrics (src/metrics.ts), tested against RealBlur's script run with scikit-image.
 */


export type ScoringProtocol = 'whole' | 'realblur';
export const SCORING_PROTOCOLS: readonly ScoringProtocol[] = ['whole', 'realblur'];

/** How a dataset of this layout is scored unless asked otherwise: RealBlur by its authors' protocol, the rest whole. */
export function defaultProtocol(layout: string): ScoringProtocol {
  return layout === 'realblur' ? 'realblur' : 'whole';
}

export const REALBLUR_CONVENTION =
  "RealBlur's protocol: each image first matched to the sharp one by one intensity gain (least squares), then aligned to it by ECC with a homography (OpenCV, 100 iterations, on grey images), bicubic warp; PSNR and SSIM (scikit-image's, σ 1.5 Gaussian window) only where the warp covers the sharp image; outputs clipped and rounded to 8 bits first";

/** How an image was aligned before it was scored. */
export interface Alignment {
  /** The intensity gain applied before ECC. */
  gain: number;
  /** The homography, row-major 3 × 3, mapping sharp-image coordinates into the scored image's. */
  warp: number[];
  /** ECC's correlation coefficient at the end (0 where it did not converge). */
  cc: number;
  /** False where ECC failed: the image is then scored unaligned (identity warp), and `error` says why. */
  converged: boolean;
  error?: string;
  /** Share of the sharp image's pixels the aligned image covers. */
  coverage: number;
}

export interface AlignedImage {
  /** The image gained, warped onto the sharp one and zeroed where the warp does not cover it. */
  aligned: Raster;
  /** 1 where covered, 0 elsewhere; one value per pixel. */
  mask: Float32Array;
  alignment: Alignment;
}

/** Why the protocol cannot run here, or undefined when it can. */
export function realBlurUnavailable(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import cv2'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} not found`;
  if (probe.status !== 0) return 'its alignment needs OpenCV for Python: install it with npm run setup -- --realblur (Debian\'s python3-opencv)';
  return undefined;
}

/** Aligns `image` to `sharp` as RealBlur's evaluation does (see python/deblur_twin/realblur_align.py). */
export function alignToSharp(image: Raster, sharp: Raster): AlignedImage {
  if (image.width !== sharp.width || image.height !== sharp.height) throw new Error(`alignToSharp: images differ in size (${image.width}×${image.height} vs ${sharp.width}×${sharp.height})`);
  const { width, height } = sharp;
  const head = Buffer.from(JSON.stringify({ width, height }) + '\n');
  const bytes = (r: Raster): Buffer => Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength);
  const r = spawnSync(PYTHON, moduleArgs('realblur_align'), { env: pythonEnv(), input: Buffer.concat([head, bytes(image), bytes(sharp)]), maxBuffer: 64 + width * height * 20 + (1 << 16) });
  if (r.error || (r.status !== 0 && /No module named '(cv2|numpy)'/.test(String(r.stderr)))) {
    throw new UsageError(`scoring by RealBlur's protocol: ${realBlurUnavailable() ?? String(r.error ?? r.stderr)}`);
  }
  if (r.status !== 0) throw new Error(`deblur_twin.realblur_align failed (exit ${r.status}): ${String(r.stderr).trim()}`);
  const out = r.stdout;
  const newline = out.indexOf(0x0a);
  const meta = JSON.parse(out.subarray(0, newline).toString('utf8')) as Omit<Alignment, 'coverage'>;
  const n = width * height;
  const body = out.subarray(newline + 1);
  if (body.byteLength !== n * 16) throw new Error(`deblur_twin.realblur_align answered ${body.byteLength} bytes for ${width}×${height} (expected ${n * 16})`);
  // Copies: the slices of stdout need not be 4-byte aligned.
  const floats = new Float32Array(new Uint8Array(body).buffer);
  const aligned = createRaster(width, height, floats.slice(0, 3 * n));
  const mask = floats.slice(3 * n);
  const coverage = mask.reduce((s, m) => s + m, 0) / n;
  return { aligned, mask, alignment: { ...meta, coverage } };
}

/** PSNR and SSIM of one image against the sharp one by RealBlur's protocol, with how it was aligned. */
export function scoreAligned(image: Raster, sharp: Raster): { psnr: number; ssim: number | null; alignment: Alignment } {
  const a = alignToSharp(image, sharp);
  if (a.alignment.coverage === 0) throw new Error(`RealBlur's alignment left no pixel of the sharp image covered (warp ${a.alignment.warp.map((v) => v.toFixed(3)).join(' ')})`);
  const big = sharp.width >= SSIM_WINDOW && sharp.height >= SSIM_WINDOW;
  return { psnr: maskedPsnr(a.aligned, sharp, a.mask), ssim: big ? maskedSsim(a.aligned, sharp, a.mask) : null, alignment: a.alignment };
}
