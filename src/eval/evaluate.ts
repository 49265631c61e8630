import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ImagePair } from '../data/dataset';
import { readRaster, writePng } from '../data/image';
import { quantize8, rasterToTensor, tensorToRaster, type Raster } from '../data/raster';
import { psnr, ssim, SSIM_WINDOW } from '../metrics';
import { pyramidAnySize } from '../infer/restore';
import { deblurImage, type Tiling } from '../infer/deblur';
import { restoreS1, type NetworkSource, type RestorationCache } from '../infer/restoration-cache';
import { REALBLUR_CONVENTION, scoreAligned, type Alignment, type ScoringProtocol } from './realblur-protocol';

/** A score of the blurred input and of the network's output, each against the sharp image. */
export interface InputOutput {
  input: number;
  output: number;
}

export interface Scores {
  psnr: InputOutput;
  /** null where an image is smaller than SSIM's 11×11 window (coarse scales of tiny images). */
  ssim: { input: number | null; output: number | null };
}

export type ScaleName = 'S1' | 'S2' | 'S3';
export const SCALE_NAMES: readonly ScaleName[] = ['S3', 'S2', 'S1'];

export interface ImageReport extends Scores {
  id: string;
  width: number;
  height: number;
  /** Seconds for the network (and tile merging), not the file reads. */
  seconds: number;
  tiles: number;
  /** Per-scale scores: S_k and the blurred B_k against the sharp image box-downscaled to that scale. */
  scales?: Record<ScaleName, Scores>;
  /** True where the output came from a restoration cache (`seconds` is then when it was made). */
  cached?: boolean;
  /** By RealBlur's protocol: how the input and the output were each aligned to the sharp image. */
  alignment?: { input: Alignment; output: Alignment };
}

export interface EvalReport extends Scores {
  n: number;
  /** Mean output − mean input. */
  gain: { psnr: number; ssim: number | null };
  scales?: Record<ScaleName, Scores>;
  images: ImageReport[];
  seconds: number;
  /** How outputs are scored, in words. */
  convention: string;
}

export interface EvalOptions {
  /** Also score S2 and S3 (default false; whole images only). */
  scales?: boolean;
  /** 'whole' (default): every pixel as it is; 'realblur': each image aligned to the sharp one first (RealBlur's protocol). */
  protocol?: ScoringProtocol;
  tiling?: Tiling;
  /** Take outputs from this cache where it has them, and keep new ones there (full-size scores only, not with `scales`). */
  cache?: RestorationCache;
  /** Also write each restored image (the scored 8-bit S1) as a PNG into this folder, named after its pair id. */
  saveTo?: string;
  onImage?: (done: number, total: number, r: ImageReport) => void;
}

export const EVAL_CONVENTION =
  'whole images; outputs clipped to [0, 1] and rounded to 8 bits (the PNG that deblur writes); PSNR and SSIM as scikit-image 0.19 computes them (data range 1, SSIM with an 11-tap Gaussian window σ = 1.5, mean over RGB)';

/** The eval report's `convention`: how outputs are scored, in words. */
export function conventionOf(protocol: ScoringProtocol): string {
  return protocol === 'realblur' ? REALBLUR_CONVENTION : EVAL_CONVENTION;
}

/**
 * Scores a network on image pairs: PSNR and SSIM of the blurred input and of the restored output,
 * per image and on average. Whole images of any size (padding and tiling as deblurImage does).
 */
export async function evaluate(model: NetworkSource, pairs: readonly ImagePair[], o: EvalOptions = {}): Promise<EvalReport> {
  if (o.scales && o.protocol === 'realblur') throw new Error("evaluate: per-scale scores are for whole images; RealBlur's protocol scores S1 only");
  const began = performance.now();
  if (o.saveTo) fs.mkdirSync(o.saveTo, { recursive: true });
  const images: ImageReport[] = [];
  for (const pair of pairs) {
    const { report, restored } = await restorePair(model, pair, o);
    if (o.saveTo) await writePng(path.join(o.saveTo, outputName(pair.id)), restored);
    images.push(report);
    o.onImage?.(images.length, pairs.length, report);
  }
  const overall = meanScores(images);
  return {
    n: images.length,
    ...overall,
    gain: { psnr: overall.psnr.output - overall.psnr.input, ssim: overall.ssim.output !== null && overall.ssim.input !== null ? overall.ssim.output - overall.ssim.input : null },
    ...(o.scales ? { scales: Object.fromEntries(SCALE_NAMES.map((k) => [k, meanScores(images.map((i) => i.scales![k]))])) as Record<ScaleName, Scores> } : {}),
    images,
    seconds: (performance.now() - began) / 1000,
    convention: conventionOf(o.protocol ?? 'whole'),
  };
}

/** One pair deblurred and scored, with the images kept for display (rasters: no tensors to dispose). */
export interface RestoredPair {
  report: ImageReport;
  blur: Raster;
  sharp: Raster;
  /** S1 clipped and rounded to 8 bits: the image that is scored and that `deblur` writes. */
  restored: Raster;
}

/** Deblurs and scores one pair exactly as `evaluate` does for each of its images. */
export async function restorePair(model: NetworkSource, pair: ImagePair, o: Pick<EvalOptions, 'scales' | 'tiling' | 'protocol' | 'cache'> = {}): Promise<RestoredPair> {
  const [{ raster: blur }, { raster: sharp }] = await Promise.all([readRaster(pair.blur), readRaster(pair.sharp)]);
  if (!o.scales) {
    const r = await restoreS1(model, blur, { ...(o.tiling ? { tiling: o.tiling } : {}), ...(o.cache ? { cache: o.cache } : {}), source: pair.id });
    const report: ImageReport = { id: pair.id, width: pair.width, height: pair.height, seconds: r.seconds, tiles: r.tiles, ...(r.cached ? { cached: true } : {}), ...scorePair(blur, r.restored, sharp, o.protocol) };
    return { report, blur, sharp, restored: r.restored };
  }
  if (o.cache) throw new Error('restorePair: a restoration cache holds full-size outputs only; per-scale scores need the network run');
  const net = typeof model === 'function' ? await model() : model;
  const input = rasterToTensor(blur);
  const t0 = performance.now();
  const r = await deblurImage(net, input, o.tiling ?? 'auto');
  const s1 = quantize8(await tensorToRaster(r.s1));
  const seconds = (performance.now() - t0) / 1000;
  const report: ImageReport = { id: pair.id, width: pair.width, height: pair.height, seconds, tiles: r.tiles, ...scorePair(blur, s1, sharp, o.protocol) };
  const target = rasterToTensor(sharp);
  const [b3, b2] = pyramidAnySize(input);
  const [r3, r2] = pyramidAnySize(target);
  const outs = { S3: r.s3, S2: r.s2 };
  const scales = { S1: { psnr: report.psnr, ssim: report.ssim } } as Record<ScaleName, Scores>;
  for (const [name, b, t] of [['S3', b3, r3], ['S2', b2, r2]] as const) {
    scales[name] = scorePair(await tensorToRaster(b), quantize8(await tensorToRaster(outs[name])), await tensorToRaster(t));
  }
  report.scales = scales;
  tf.dispose([target, b3, b2, r3, r2, input, r.s1, r.s2, r.s3]);
  return { report, blur, sharp, restored: s1 };
}

/** `GOPR0384_11_00/000001.png` → `GOPR0384_11_00_000001.png`: one flat folder of outputs. */
export function outputName(id: string): string {
  return id.replace(/\.[^./]+$/, '').replace(/[\\/]+/g, '_') + '.png';
}

/**
 * PSNR and SSIM of the blurred input and of an output, each against the sharp image: whole images, or
 * by RealBlur's protocol (each aligned to the sharp image first; the alignments come with the scores).
 */
export function scorePair(blur: Raster, output: Raster, sharp: Raster, protocol: ScoringProtocol = 'whole'): Scores & { alignment?: { input: Alignment; output: Alignment } } {
  if (protocol === 'realblur') {
    const i = scoreAligned(blur, sharp);
    const out = scoreAligned(output, sharp);
    return { psnr: { input: i.psnr, output: out.psnr }, ssim: { input: i.ssim, output: out.ssim }, alignment: { input: i.alignment, output: out.alignment } };
  }
  return {
    psnr: { input: psnr(blur, sharp), output: psnr(output, sharp) },
    ssim: { input: ssimOrNull(blur, sharp), output: ssimOrNull(output, sharp) },
  };
}

/** PSNR and SSIM of one image against the sharp one, whole or by RealBlur's protocol (aligned first). */
export function scoreImage(image: Raster, sharp: Raster, protocol: ScoringProtocol = 'whole'): { psnr: number; ssim: number | null } {
  if (protocol === 'realblur') {
    const a = scoreAligned(image, sharp);
    return { psnr: a.psnr, ssim: a.ssim };
  }
  return { psnr: psnr(image, sharp), ssim: ssimOrNull(image, sharp) };
}

/** SSIM, or null for images smaller than its window. */
export function ssimOrNull(a: Raster, b: Raster): number | null {
  return a.width >= SSIM_WINDOW && a.height >= SSIM_WINDOW ? ssim(a, b) : null;
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

function meanOrNull(xs: (number | null)[]): number | null {
  return xs.some((x) => x === null) || xs.length === 0 ? null : mean(xs as number[]);
}

/** Means over images. An infinite PSNR (a perfect output) makes the mean infinite, as it should. */
export function meanScores(rs: readonly Scores[]): Scores {
  return {
    psnr: { input: mean(rs.map((r) => r.psnr.input)), output: mean(rs.map((r) => r.psnr.output)) },
    ssim: { input: meanOrNull(rs.map((r) => r.ssim.input)), output: meanOrNull(rs.map((r) => r.ssim.output)) },
  };
}

