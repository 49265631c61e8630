import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { unsharpDetail, unsharpMask, type UnsharpMask } from '../classical/unsharp-mask';
import { oracleWiener } from '../classical/wiener';
import { fingerprintPairs, type Dataset, type ImagePair, type Layout } from '../data/dataset';
import type { GoProBlur, Split } from '../data/gopro';
import type { RealBlurVariant } from '../data/realblur';
import { openDataset } from '../data/open-dataset';
import { readRaster } from '../data/image';
import { quantize8, type Raster } from '../data/raster';
import { psnr } from '../metrics';
import { meanScores, scorePair, type Scores } from './evaluate';
import type { ScoringProtocol } from './realblur-protocol';

/**
 * Classical references scored beside every network: an unsharp mask whose σ and amount are tuned
 * on a dataset's *training* split (never on what it is scored on), and Wiener deconvolution with
 * an oracle kernel fitted to each pair's own sharp image (src/classical/wiener.ts), its one
 * parameter also tuned on the training split. Outputs are rounded to 8 bits like the network's.
 */
export type BaselineName = 'usm' | 'wiener';
export const BASELINE_NAMES: readonly BaselineName[] = ['usm', 'wiener'];

export interface TunedBaselines {
  usm: UnsharpMask & { gain: number };
  wiener: { nsr: number; gain: number };
  /** What they were tuned on: the pairs' dataset, split, count and fingerprint. */
  tunedOn: { root: string; description: string; pairs: number; fingerprint: string };
  /** The tuning rules they were made by (TUNING_RULES); absent in tunings made before it was kept. */
  rules?: number;
}

/**
 * Bumped when tuning changes what it finds, so that tunings kept in caches and in runs' baselines
 * are made again. 2: unblurred pairs left out (their infinite PSNR decided the search).
 */
export const TUNING_RULES = 2;

export const USM_SIGMAS = [0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4, 6];
export const USM_AMOUNTS = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4];
export const WIENER_NSRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1];
/** Tuning uses at most this many training pairs, spread evenly over the split (Wiener: a third of them). */
export const TUNING_PAIRS = 120;

interface Loaded {
  blur: Raster;
  sharp: Raster;
}

async function load(p: ImagePair): Promise<Loaded> {
  const [b, s] = await Promise.all([readRaster(p.blur), readRaster(p.sharp)]);
  return { blur: b.raster, sharp: s.raster };
}

/** Every k-th pair so that at most `n` are taken, spread over the whole split. */
export function spreadSubset<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  const step = items.length / n;
  return Array.from({ length: n }, (_, i) => items[Math.floor(i * step)]!);
}

/** PSNR of x + amount · detail, clipped and rounded to 8 bits, against sharp. */
function usmPsnr(blur: Raster, detail: Float64Array, amount: number, sharp: Raster): number {
  let sum = 0;
  for (let i = 0; i < detail.length; i++) {
    const v = Math.round(Math.min(1, Math.max(0, blur.data[i]! + amount * detail[i]!)) * 255) / 255;
    const d = v - sharp.data[i]!;
    sum += d * d;
  }
  return 10 * Math.log10(detail.length / sum);
}

/** The unsharp mask's σ and amount that maximise the mean PSNR over `pairs`, by grid search, with that mean gain. */
async function searchUsm(pairs: readonly ImagePair[], onPair?: (done: number) => void): Promise<UnsharpMask & { gain: number }> {
  const usm = USM_SIGMAS.map(() => USM_AMOUNTS.map(() => 0));
  let inputSum = 0;
  let used = 0;
  for (const [k, p] of pairs.entries()) {
    const { blur, sharp } = await load(p);
    const input = psnr(blur, sharp);
    onPair?.(k + 1);
    if (input === Infinity) continue; // an unblurred pair: no PSNR to gain, and its infinite one would decide the search
    inputSum += input;
    used++;
    USM_SIGMAS.forEach((sigma, i) => {
      const detail = unsharpDetail(blur, sigma);
      USM_AMOUNTS.forEach((amount, j) => (usm[i]![j]! += usmPsnr(blur, detail, amount, sharp)));
    });
  }
  let best = { sigma: USM_SIGMAS[0]!, amount: USM_AMOUNTS[0]!, sum: -Infinity };
  USM_SIGMAS.forEach((sigma, i) => USM_AMOUNTS.forEach((amount, j) => usm[i]![j]! > best.sum && (best = { sigma, amount, sum: usm[i]![j]! })));
  return { sigma: best.sigma, amount: best.amount, gain: used ? (best.sum - inputSum) / used : 0 };
}

/**
 * σ and amount of the unsharp mask, and the Wiener noise ratio, that maximise the mean PSNR over
 * (a spread subset of) `pairs`, by grid search.
 */
export async function tuneBaselines(pairs: readonly ImagePair[], about: TunedBaselines['tunedOn'], onPair?: (done: number, total: number) => void): Promise<TunedBaselines> {
  const usmPairs = spreadSubset(pairs, TUNING_PAIRS);
  const wienerPairs = spreadSubset(usmPairs, Math.ceil(TUNING_PAIRS / 3));
  const total = usmPairs.length + wienerPairs.length;
  const best = await searchUsm(usmPairs, (done) => onPair?.(done, total));

  const wiener = WIENER_NSRS.map(() => 0);
  let wienerInput = 0;
  let used = 0;
  for (const [k, p] of wienerPairs.entries()) {
    const { blur, sharp } = await load(p);
    const input = psnr(blur, sharp);
    onPair?.(usmPairs.length + k + 1, total);
    if (input === Infinity) continue; // unblurred: see searchUsm
    wienerInput += input;
    used++;
    oracleWiener(sharp, blur, WIENER_NSRS).restored.forEach((r, i) => (wiener[i]! += psnr(quantize8(r), sharp)));
  }
  const w = wiener.indexOf(Math.max(...wiener));
  return {
    usm: best,
    wiener: { nsr: WIENER_NSRS[w]!, gain: used ? (wiener[w]! - wienerInput) / used : 0 },
    tunedOn: { ...about, pairs: usmPairs.length },
    rules: TUNING_RULES,
  };
}

/** One baseline's scores over a set, in the shape of the network's EvalReport (less timing and tiles). */
export interface BaselineReport extends Scores {
  name: BaselineName;
  /** e.g. "unsharp mask, σ 1.5, amount 0.75 (tuned on 120 training pairs)". */
  label: string;
  n: number;
  gain: { psnr: number; ssim: number | null };
  images: Array<Scores & { id: string }>;
}

export function describeBaseline(name: BaselineName, t: TunedBaselines): string {
  return name === 'usm'
    ? `unsharp mask, σ ${t.usm.sigma}, amount ${t.usm.amount} (tuned on ${t.tunedOn.pairs} training pairs)`
    : `Wiener, oracle kernel per image, noise ratio ${t.wiener.nsr} (tuned on ${Math.ceil(t.tunedOn.pairs / 3)} training pairs)`;
}

/** The baseline's restoration of one pair (the oracle reads the sharp image for its kernel). */
export function restoreBaseline(name: BaselineName, t: TunedBaselines, blur: Raster, sharp: Raster): Raster {
  return quantize8(name === 'usm' ? unsharpMask(blur, t.usm) : oracleWiener(sharp, blur, [t.wiener.nsr]).restored[0]!);
}

/** Scores the named baselines on `pairs` (whole images, 8-bit outputs, the network's metrics). */
export async function evaluateBaselines(
  pairs: readonly ImagePair[],
  tuned: TunedBaselines,
  names: readonly BaselineName[] = BASELINE_NAMES,
  onImage?: (done: number, total: number) => void,
  protocol: ScoringProtocol = 'whole',
): Promise<Record<BaselineName, BaselineReport>> {
  const images = Object.fromEntries(names.map((n) => [n, [] as BaselineReport['images']])) as Record<BaselineName, BaselineReport['images']>;
  for (const [k, p] of pairs.entries()) {
    const { blur, sharp } = await load(p);
    for (const n of names) images[n].push({ id: p.id, ...scorePair(blur, restoreBaseline(n, tuned, blur, sharp), sharp, protocol) });
    onImage?.(k + 1, pairs.length);
  }
  const out = {} as Record<BaselineName, BaselineReport>;
  for (const n of names) {
    const m = meanScores(images[n]);
    out[n] = {
      name: n,
      label: describeBaseline(n, tuned),
      n: images[n].length,
      ...m,
      gain: { psnr: m.psnr.output - m.psnr.input, ssim: m.ssim.output !== null && m.ssim.input !== null ? m.ssim.output - m.ssim.input : null },
      images: images[n],
    };
  }
  return out;
}

/** Where tuned parameters are kept between runs, keyed by what they were tuned on. */
export function tuningCacheFile(cacheDir: string, about: TunedBaselines['tunedOn']): string {
  const key = createHash('sha256').update(JSON.stringify([path.resolve(about.root), about.fingerprint, USM_SIGMAS, USM_AMOUNTS, WIENER_NSRS, TUNING_PAIRS, TUNING_RULES])).digest('hex').slice(0, 16);
  return path.join(cacheDir, `baselines-${key}.json`);
}

/** tuneBaselines, remembered in `cacheDir` for the same training pairs and grids. */
export async function tunedBaselines(pairs: readonly ImagePair[], about: TunedBaselines['tunedOn'], cacheDir: string, onPair?: (done: number, total: number) => void): Promise<TunedBaselines> {
  const file = tuningCacheFile(cacheDir, about);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as TunedBaselines;
  const t = await tuneBaselines(pairs, about, onPair);
  fs.mkdirSync(cacheDir, { recursive: true });
  // A temporary name per process: two notebooks run side by side may tune the same set at once.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(t, null, 2) + '\n');
  fs.renameSync(tmp, file);
  return t;
}

/** The baselines' reports on a set, or why there are none. */
export type BaselineScores = { tuned: TunedBaselines; reports: Record<BaselineName, BaselineReport> } | { skipped: string };

/**
 * The baselines tuned on the training split of the dataset at `root` (GoPro and RealBlur layouts
 * have one; a plain blur/ + sharp/ folder does not, and tuning on the pairs being scored would
 * flatter the baseline, so it is then skipped), from the cache when tuned before.
 */
export async function tunedFor(
  dataset: { root: string; layout: Layout; split?: Split; blur?: GoProBlur; realBlurVariant?: RealBlurVariant },
  cacheDir: string,
  onProgress?: (what: string, done: number, total: number) => void,
): Promise<TunedBaselines | { skipped: string }> {
  if (dataset.layout === 'pairs') return { skipped: 'a blur/ + sharp/ folder has no training split to tune the baselines on' };
  if (dataset.split === 'train') return { skipped: 'the baselines are tuned on the training split, so they are not scored on it' };
  let train: Dataset;
  try {
    train = await openDataset(dataset.root, { split: 'train', layout: dataset.layout, ...(dataset.blur ? { blur: dataset.blur } : {}), ...(dataset.realBlurVariant ? { realBlurVariant: dataset.realBlurVariant } : {}) });
  } catch (e) {
    return { skipped: `no training split to tune the baselines on (${(e as Error).message})` };
  }
  const about = { root: train.root, description: train.description, pairs: train.pairs.length, fingerprint: fingerprintPairs(train) };
  return tunedBaselines(train.pairs, about, cacheDir, (d, t) => onProgress?.('tuning baselines', d, t));
}

/** The unsharp mask alone, tuned as tunedFor tunes it (without the Wiener filter's slower search), cached apart. */
export type TunedUsm = UnsharpMask & { gain: number; tunedOn: TunedBaselines['tunedOn'] };

export async function tunedUsmFor(dataset: { root: string; layout: Layout; blur?: GoProBlur }, cacheDir: string, onPair?: (done: number, total: number) => void): Promise<TunedUsm | { skipped: string }> {
  let train: Dataset;
  try {
    train = await openDataset(dataset.root, { split: 'train', layout: dataset.layout, ...(dataset.blur ? { blur: dataset.blur } : {}) });
  } catch (e) {
    return { skipped: `no training split to tune the unsharp mask on (${(e as Error).message})` };
  }
  const pairs = spreadSubset(train.pairs, TUNING_PAIRS);
  const tunedOn = { root: train.root, description: train.description, pairs: pairs.length, fingerprint: fingerprintPairs(train) };
  const file = tuningCacheFile(cacheDir, tunedOn).replace(/baselines-([0-9a-f]+)\.json$/, 'usm-$1.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as TunedUsm;
  const tuned: TunedUsm = { ...(await searchUsm(pairs, (done) => onPair?.(done, pairs.length))), tunedOn };
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(tuned, null, 2) + '\n');
  fs.renameSync(tmp, file);
  return tuned;
}

/** The tuned unsharp mask's label, as describeBaseline words it. */
export function describeUsm(t: TunedUsm): string {
  return `unsharp mask, σ ${t.sigma}, amount ${t.amount} (tuned on ${t.tunedOn.pairs} training pairs)`;
}

/** The baselines for scoring `pairs` of the dataset at `root`: tuned as tunedFor says, then scored. */
export async function baselinesFor(
  dataset: { root: string; layout: Layout; split?: Split; blur?: GoProBlur; realBlurVariant?: RealBlurVariant },
  pairs: readonly ImagePair[],
  cacheDir: string,
  onProgress?: (what: string, done: number, total: number) => void,
  protocol: ScoringProtocol = 'whole',
): Promise<BaselineScores> {
  const tuned = await tunedFor(dataset, cacheDir, onProgress);
  if ('skipped' in tuned) return tuned;
  const reports = await evaluateBaselines(pairs, tuned, BASELINE_NAMES, (d, t) => onProgress?.('baselines', d, t), protocol);
  return { tuned, reports };
}

/** The scored baselines, or an error saying why there are none (for callers that need them, such as the notebooks). */
export function scoredBaselines(b: BaselineScores): { tuned: TunedBaselines; reports: Record<BaselineName, BaselineReport> } {
  if ('skipped' in b) throw new Error(`no baselines: ${b.skipped}`);
  return b;
}
