import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { ImagePair, Layout } from '../data/dataset';
import { openDataset } from '../data/open-dataset';
import { readRaster } from '../data/image';
import { UsageError } from '../errors';
import { HARM_DB } from '../eval/yardstick';
import { evaluate, type EvalReport } from '../eval/evaluate';
import { evaluateBaselines, tunedBaselines, TUNING_RULES, type BaselineName, type TunedBaselines } from '../eval/baselines';
import { summarizeLedger, type LedgerSegment } from './ledger';

/**
 * A run's learning curve: at milestone steps the network (its averaged weights, and the last
 * step's) is scored on fixed evaluation sets, one JSON line per point in `curve.jsonl`; the
 * classical baselines on the same sets, tuned on the run's own training data, are in
 * `baselines.json`. Each point carries the training it took (steps, CPU hours, GPU minutes) from
 * the ledger, so a curve can be read against compute.
 */

/** A set the curve scores: a dataset's test split, or every k-th pair of it. */
export interface CurveSet {
  name: string;
  root: string;
  layout?: Layout;
  /** Score only every k-th pair (a spread-out subset, for cheaper points). */
  every?: number;
  /** The npm script (with arguments) that builds the set when it is missing, as a recipe's data.build. */
  build?: string;
}

/** Mean scores of one set at one point. */
export interface SetScore {
  n: number;
  psnrIn: number;
  psnrOut: number;
  gain: number;
  ssimIn: number | null;
  ssimOut: number | null;
  /** Images whose PSNR the network raised. */
  improved: number;
  /** The gain of the image it did worst on (absent in points scored before it was kept), and how many it made worse by more than 0.3 dB. */
  worst?: number;
  harmed?: number;
}

export interface CurvePoint {
  step: number;
  /** `ema`: the moving average of the weights; `raw`: the last step's weights. */
  weights: 'ema' | 'raw';
  /** ISO time of the evaluation. */
  at: string;
  training: { seconds: number; cpuHours: number; gpuMinutes: number };
  sets: Record<string, SetScore>;
  backend: string;
}

export const CURVE_FILE = 'curve.jsonl';

/** A curve's latest point on a set and how fast it moved, for one kind of weights. */
export interface CurveTrend {
  latest: CurvePoint;
  /** Gain per CPU hour from the first to the last of the points considered (0 with one point). */
  slope: number;
  points: number;
}

/**
 * The latest milestone on `set` and the slope over the last `last` milestones, of one kind of
 * weights only (`ema` where the run averages its weights, else `raw`): a curve holds both at each
 * step, and mixing them would compare two different networks. Undefined where no point scored the set.
 */
export function curveTrend(curve: readonly CurvePoint[], set: string, last = 4): CurveTrend | undefined {
  const weights = curve.some((p) => p.weights === 'ema' && p.sets[set]) ? 'ema' : 'raw';
  const pts = curve.filter((p) => p.weights === weights && p.sets[set]).sort((a, b) => a.step - b.step).slice(-last);
  if (pts.length === 0) return undefined;
  const first = pts[0]!;
  const latest = pts[pts.length - 1]!;
  const hours = latest.training.cpuHours - first.training.cpuHours;
  return { latest, slope: hours > 0 ? (latest.sets[set]!.gain - first.sets[set]!.gain) / hours : 0, points: pts.length };
}
export const BASELINES_FILE = 'baselines.json';

export function readCurve(out: string): CurvePoint[] {
  const file = path.join(out, CURVE_FILE);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as CurvePoint);
}

/** Appends points; a point for the same step and weights replaces the old one (a re-evaluation). */
export function appendCurve(out: string, points: readonly CurvePoint[]): void {
  const key = (p: CurvePoint): string => `${p.step}/${p.weights}`;
  const fresh = new Set(points.map(key));
  const kept = readCurve(out).filter((p) => !fresh.has(key(p)));
  const all = [...kept, ...points].sort((a, b) => a.step - b.step || a.weights.localeCompare(b.weights));
  const file = path.join(out, CURVE_FILE);
  fs.writeFileSync(`${file}.tmp`, all.map((p) => JSON.stringify(p)).join('\n') + '\n');
  fs.renameSync(`${file}.tmp`, file);
}

export function setScore(r: Pick<EvalReport, 'n' | 'psnr' | 'ssim'> & { images: ReadonlyArray<{ psnr: { input: number; output: number } }> }): SetScore {
  return {
    n: r.n,
    psnrIn: r.psnr.input,
    psnrOut: r.psnr.output,
    gain: r.psnr.output - r.psnr.input,
    ssimIn: r.ssim.input,
    ssimOut: r.ssim.output,
    improved: r.images.filter((i) => i.psnr.output > i.psnr.input).length,
    worst: Math.min(...r.images.map((i) => i.psnr.output - i.psnr.input)),
    harmed: r.images.filter((i) => i.psnr.output - i.psnr.input < HARM_DB).length,
  };
}

/** The pairs of each curve set (test split, every k-th), opened once. */
export async function openCurveSets(sets: readonly CurveSet[]): Promise<Array<CurveSet & { pairs: ImagePair[]; unblurred: number }>> {
  const out: Array<CurveSet & { pairs: ImagePair[]; unblurred: number }> = [];
  for (const s of sets) {
    if (!fs.existsSync(s.root)) throw new UsageError(`curve set "${s.name}": ${s.root} does not exist`);
    const ds = await openDataset(s.root, { split: 'test', strict: true, ...(s.layout ? { layout: s.layout } : {}) });
    const chosen = s.every ? ds.pairs.filter((_, i) => i % s.every! === 0) : ds.pairs;
    const pairs: ImagePair[] = [];
    for (const p of chosen) if (await isBlurred(p)) pairs.push(p);
    out.push({ ...s, pairs, unblurred: chosen.length - pairs.length });
  }
  return out;
}

/**
 * Whether a pair's input differs from its target. A pair made without blur or camera effects has
 * an infinite input PSNR, so no PSNR gain: a curve, whose points are mean gains, leaves it out.
 */
async function isBlurred(p: ImagePair): Promise<boolean> {
  const [a, b] = await Promise.all([readRaster(p.blur), readRaster(p.sharp)]);
  return a.raster.width !== b.raster.width || a.raster.height !== b.raster.height || a.raster.data.some((v, i) => v !== b.raster.data[i]);
}

/** Scores `model` on every set: one curve point. */
export async function curvePoint(
  model: tf.LayersModel,
  sets: ReadonlyArray<CurveSet & { pairs: ImagePair[] }>,
  meta: { step: number; weights: CurvePoint['weights']; training: CurvePoint['training']; backend: string },
  onImage?: (set: string, done: number, total: number) => void,
): Promise<CurvePoint> {
  const scores: Record<string, SetScore> = {};
  for (const s of sets) scores[s.name] = setScore(await evaluate(model, s.pairs, { onImage: (d, t) => onImage?.(s.name, d, t) }));
  return { step: meta.step, weights: meta.weights, at: new Date().toISOString(), training: meta.training, sets: scores, backend: meta.backend };
}

/**
 * The training behind step `step`: wall seconds and CPU hours / GPU minutes, from the loss log's
 * per-step times (up to and including `step`), each step counted on the processor of the ledger
 * segment it belongs to.
 */
export function trainingAt(logRows: ReadonlyArray<{ step: number; seconds: number }>, ledger: readonly LedgerSegment[], step: number): CurvePoint['training'] {
  let cpu = 0;
  let gpu = 0;
  for (const r of logRows) {
    if (r.step > step) continue;
    const seg = ledger.find((g) => r.step > g.fromStep && r.step <= g.toStep) ?? ledger[ledger.length - 1];
    if (seg?.processor === 'gpu') gpu += r.seconds;
    else cpu += r.seconds;
  }
  return { seconds: cpu + gpu, cpuHours: cpu / 3600, gpuMinutes: gpu / 60 };
}

/** The training so far, from the ledger (exact at a checkpoint, when every segment ends at the current step). */
export function trainingOf(ledger: readonly LedgerSegment[]): CurvePoint['training'] {
  const sum = summarizeLedger(ledger);
  return { seconds: sum.cpuHours * 3600 + sum.gpuMinutes * 60, cpuHours: sum.cpuHours, gpuMinutes: sum.gpuMinutes };
}

/** The baselines' scores on the curve's sets, tuned on the run's training data. */
export interface CurveBaselines {
  tuned: TunedBaselines;
  sets: Record<string, Record<BaselineName, SetScore & { label: string }>>;
}

/** What fixes a set's baseline scores: the tuned baselines and the pairs (their files as they are now). */
function scoreKey(tuned: TunedBaselines, pairs: readonly ImagePair[]): string {
  const h = createHash('sha256').update(JSON.stringify(tuned));
  for (const p of pairs) {
    for (const f of [p.blur, p.sharp]) {
      const st = fs.statSync(f);
      h.update(`${path.resolve(f)}:${st.size}:${st.mtimeMs}\n`);
    }
  }
  return h.digest('hex').slice(0, 24);
}

/**
 * The baselines of a run's curve: read from `baselines.json` when it was made for these sets and
 * this training data, else tuned (on the training pairs) and scored, both cached in `cacheDir` for other runs on the same data, and written.
 */
export async function curveBaselines(
  out: string,
  sets: ReadonlyArray<CurveSet & { pairs: ImagePair[] }>,
  training: { pairs: readonly ImagePair[]; about: TunedBaselines['tunedOn'] },
  cacheDir: string,
  say?: (line: string) => void,
): Promise<CurveBaselines> {
  const file = path.join(out, BASELINES_FILE);
  if (fs.existsSync(file)) {
    const b = JSON.parse(fs.readFileSync(file, 'utf8')) as CurveBaselines;
    const same = b.tuned.rules === TUNING_RULES && b.tuned.tunedOn.fingerprint === training.about.fingerprint && sets.every((s) => b.sets[s.name]?.usm?.n === s.pairs.length);
    if (same) return b;
  }
  say?.(`tuning the unsharp mask and the Wiener baseline on ${training.about.description} (once; cached)`);
  const tuned = await tunedBaselines(training.pairs, training.about, cacheDir);
  const result: CurveBaselines = { tuned, sets: {} };
  for (const s of sets) {
    // Runs on the same training data (pilots differing in their loss or start) share the scores: they take minutes per set.
    const cached = path.join(cacheDir, 'baseline-scores', `${scoreKey(tuned, s.pairs)}.json`);
    if (fs.existsSync(cached)) {
      result.sets[s.name] = JSON.parse(fs.readFileSync(cached, 'utf8')) as Record<BaselineName, SetScore & { label: string }>;
      continue;
    }
    say?.(`scoring the baselines on ${s.name} (${s.pairs.length} pairs)`);
    const r = await evaluateBaselines(s.pairs, tuned);
    result.sets[s.name] = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, { ...setScore(v), label: v.label }])) as Record<BaselineName, SetScore & { label: string }>;
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    fs.writeFileSync(`${cached}.tmp`, JSON.stringify(result.sets[s.name]) + '\n');
    fs.renameSync(`${cached}.tmp`, cached);
  }
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(result, null, 2) + '\n');
  fs.renameSync(`${file}.tmp`, file);
  return result;
}
