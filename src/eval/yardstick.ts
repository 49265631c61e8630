import * as fs from 'node:fs';
import * as path from 'node:path';
import { openDataset } from '../data/open-dataset';
import type { Generator } from '../data/synth/generators';
import { UsageError } from '../errors';
import type { NetworkSource } from '../infer/restoration-cache';
import { unsharpMask } from '../classical/unsharp-mask';
import { readRaster } from '../data/image';
import { quantize8 } from '../data/raster';
import { psnr } from '../metrics';
import { describeUsm, tunedUsmFor } from './baselines';
import { evaluate, type EvalReport } from './evaluate';

/**
 * The generalisation yardstick: one evaluation set per blur generator (`npm run data:yardstick`),
 * scored as a whole. A network is judged on the generators it was *not* trained with: a gain on
 * a held-out split made by its own synthesiser shows only that it learned that synthesiser.
 */
export const YARDSTICK_FILE = 'yardstick.json';
export const DEFAULT_YARDSTICK = path.join('build', 'data', 'yardstick');

export interface YardstickManifest {
  seed: number;
  generators: Generator[];
}

/** An image is "made worse" when its gain is below 0; "harmed" when below this (the do-no-harm bound). */
export const HARM_DB = -0.3;

export interface ImageGain {
  id: string;
  input: number;
  gain: number;
}

/** One generator's scores: the network's, the tuned unsharp mask's, and the worst image of each. */
export interface GeneratorScore {
  generator: string;
  family: string;
  about: string;
  /** Whether the network's training data used this generator (null: its training data is unknown). */
  trained: boolean | null;
  n: number;
  psnrIn: number;
  gain: number;
  ssimGain: number | null;
  worst: ImageGain;
  /** Images the network made worse (gain < 0), and harmed (gain < HARM_DB). */
  worse: number;
  harmed: number;
  /** The unsharp mask tuned on this generator's own tuning split (null when not scored). */
  usm: { gain: number; label: string; worst: ImageGain; worse: number } | null;
  images: ImageGain[];
}

export interface YardstickSummary {
  generators: string[];
  /** Mean of the generators' mean gains (each generator counts once). */
  gain: number;
  usmGain: number | null;
  worst: ImageGain & { generator: string };
  worse: number;
  harmed: number;
  n: number;
}

export interface YardstickReport {
  root: string;
  /** The generators the network was trained with, as far as known. */
  trainedOn: string[] | null;
  scores: GeneratorScore[];
  /** Over the generators the network was not trained with (null if it is unknown or none is left). */
  heldOut: YardstickSummary | null;
  all: YardstickSummary;
  /** The `none` generator's mean gain: a sharp photo should come back as it was (≥ −0.1 dB). */
  noBlurGain: number | null;
  seconds: number;
}

export function readYardstick(root: string): YardstickManifest {
  const file = path.join(root, YARDSTICK_FILE);
  if (!fs.existsSync(file)) throw new UsageError(`${root}: no ${YARDSTICK_FILE} here; build the yardstick with \`npm run data:yardstick\` (about 5 minutes)`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as YardstickManifest;
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON (${(e as Error).message}); delete ${root} and build it again`);
  }
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function worstOf(images: readonly ImageGain[]): ImageGain {
  return images.reduce((w, i) => (i.gain < w.gain ? i : w));
}

function gains(r: { images: ReadonlyArray<{ id: string; psnr: { input: number; output: number } }> }): ImageGain[] {
  return r.images.map((i) => ({ id: i.id, input: i.psnr.input, gain: i.psnr.output - i.psnr.input }));
}

export function summarize(scores: readonly GeneratorScore[]): YardstickSummary {
  const worst = scores.map((s) => ({ ...s.worst, generator: s.generator })).reduce((w, x) => (x.gain < w.gain ? x : w));
  const usm = scores.every((s) => s.usm) ? mean(scores.map((s) => s.usm!.gain)) : null;
  return {
    generators: scores.map((s) => s.generator),
    gain: mean(scores.map((s) => s.gain)),
    usmGain: usm,
    worst,
    worse: scores.reduce((n, s) => n + s.worse, 0),
    harmed: scores.reduce((n, s) => n + s.harmed, 0),
    n: scores.reduce((n, s) => n + s.n, 0),
  };
}

export interface YardstickOptions {
  /** Generators the network was trained with (null: unknown). */
  trainedOn: string[] | null;
  /** Only these generators (default: all). */
  only?: readonly string[];
  /** Only every k-th scored pair of each set. */
  every?: number;
  /** Also tune and score the unsharp mask on each generator (default true). */
  baselines?: boolean;
  cacheDir: string;
  onProgress?: (what: string, done: number, total: number) => void;
}

/** Scores the network on every generator of the yardstick at `root`. */
export async function evaluateYardstick(model: NetworkSource, root: string, o: YardstickOptions): Promise<YardstickReport> {
  const t0 = performance.now();
  const manifest = readYardstick(root);
  const unknown = (o.only ?? []).filter((n) => !manifest.generators.some((g) => g.name === n));
  if (unknown.length) throw new UsageError(`the yardstick at ${root} has no generator ${unknown.join(', ')} (it has ${manifest.generators.map((g) => g.name).join(', ')})`);
  const chosen = manifest.generators.filter((g) => !o.only || o.only.includes(g.name));
  const scores: GeneratorScore[] = [];
  for (const g of chosen) {
    const dir = path.join(root, g.name);
    const ds = await openDataset(dir, { split: 'test', blur: 'blur', layout: 'gopro' });
    const pairs = o.every ? ds.pairs.filter((_, i) => i % o.every! === 0) : ds.pairs;
    const report: EvalReport = await evaluate(model, pairs, { onImage: (d, n) => o.onProgress?.(g.name, d, n) });
    const images = gains(report);
    let usm: GeneratorScore['usm'] = null;
    if (o.baselines ?? true) {
      const tuned = await tunedUsmFor({ root: dir, layout: 'gopro', blur: 'blur' }, o.cacheDir, (d, n) => o.onProgress?.(`${g.name}: tuning the unsharp mask`, d, n));
      if (!('skipped' in tuned)) {
        const u: ImageGain[] = [];
        for (const [k, p] of pairs.entries()) {
          const [blur, sharp] = await Promise.all([readRaster(p.blur), readRaster(p.sharp)]);
          const input = psnr(blur.raster, sharp.raster);
          u.push({ id: p.id, input, gain: psnr(quantize8(unsharpMask(blur.raster, tuned)), sharp.raster) - input });
          o.onProgress?.(`${g.name}: unsharp mask`, k + 1, pairs.length);
        }
        usm = { gain: mean(u.map((i) => i.gain)), label: describeUsm(tuned), worst: worstOf(u), worse: u.filter((i) => i.gain < 0).length };
      }
    }
    scores.push({
      generator: g.name,
      family: g.family,
      about: g.about,
      trained: o.trainedOn ? o.trainedOn.includes(g.name) : null,
      n: report.n,
      psnrIn: report.psnr.input,
      gain: report.gain.psnr,
      ssimGain: report.gain.ssim,
      worst: worstOf(images),
      worse: images.filter((i) => i.gain < 0).length,
      harmed: images.filter((i) => i.gain < HARM_DB).length,
      usm,
      images,
    });
  }
  const held = scores.filter((s) => s.trained === false);
  const none = scores.find((s) => s.generator === 'none');
  return {
    root,
    trainedOn: o.trainedOn,
    scores,
    heldOut: held.length ? summarize(held) : null,
    all: summarize(scores),
    noBlurGain: none ? none.gain : null,
    seconds: (performance.now() - t0) / 1000,
  };
}


const signed = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
const fixed = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : String(x));

/** The yardstick table's columns (yardstickRows' cells, in order). */
export const YARDSTICK_COLUMNS: readonly string[] = ['generator', 'trained with it', 'images', 'PSNR in', 'gain', 'unsharp mask', 'margin', 'worst image (gain)', `worse / harmed (< ${HARM_DB} dB)`];

/** One row per generator: whether the network was trained with it, its mean gain beside the tuned unsharp mask's, the worst image, the images made worse and harmed. */
export function yardstickRows(r: YardstickReport): string[][] {
  return r.scores.map((s) => [
    s.generator,
    s.trained === null ? '?' : s.trained ? 'yes' : 'no',
    String(s.n),
    fixed(s.psnrIn),
    signed(s.gain),
    s.usm ? signed(s.usm.gain) : '–',
    s.usm ? signed(s.gain - s.usm.gain) : '–',
    `${signed(s.worst.gain)} (${s.worst.id})`,
    `${s.worse} / ${s.harmed}`,
  ]);
}

/** The verdict under the table: the generators held out from training, all of them, and the no-blur gain against its bound. */
export function yardstickSummaryLines(r: YardstickReport): string[] {
  const line = (what: string, x: YardstickSummary): string =>
    `${what} (${x.generators.join(', ')}): mean gain ${signed(x.gain)} dB${x.usmGain !== null ? `, unsharp mask ${signed(x.usmGain)}, margin ${signed(x.gain - x.usmGain)}` : ''}; ` +
    `worst image ${signed(x.worst.gain)} dB (${x.worst.generator}: ${x.worst.id}); ${x.worse} of ${x.n} images made worse, ${x.harmed} by more than ${-HARM_DB} dB`;
  const lines: string[] = [];
  if (r.heldOut) lines.push(line('generators it was not trained with', r.heldOut));
  else if (r.trainedOn) lines.push('it was trained with every generator scored here: nothing is held out');
  lines.push(line('all generators', r.all));
  if (r.noBlurGain !== null) lines.push(`no blur: ${signed(r.noBlurGain)} dB (a sharp photo should come back as it was: ≥ -0.10 dB)`);
  return lines;
}

/** The file a weights folder keeps its yardstick report in (written when the weights are shipped). */
export const WEIGHTS_YARDSTICK = 'yardstick.json';

/** The yardstick report kept beside a weights folder, or undefined where it has none. */
export function readWeightsYardstick(weights: string): YardstickReport | undefined {
  const file = path.join(weights, WEIGHTS_YARDSTICK);
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as YardstickReport;
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}
