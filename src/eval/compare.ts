import type { ImagePair } from '../data/dataset';
import { readRaster } from '../data/image';
import { rasterToTensor, type Raster } from '../data/raster';
import { restoreS1, type NetworkSource, type RestorationCache } from '../infer/restoration-cache';
import { radialPower } from '../viz/spectra';
import { describeBaseline, restoreBaseline, type BaselineName, type TunedBaselines } from './baselines';
import { scoreImage } from './evaluate';
import type { ScoringProtocol } from './realblur-protocol';

/**
 * Several deblurring methods on the same pairs (notebook 08): the blurred input itself, the lab's
 * networks, peers such as MAXIM (through a restoration cache), and the classical baselines. Each
 * output is scored as `eval` scores it (8-bit, whole image) and its radially averaged power
 * spectrum summed, so the methods can be compared by PSNR, SSIM and restored frequencies.
 */
export interface Method {
  name: string;
  kind: 'input' | 'network' | 'peer' | 'baseline';
  /** The scored output for a pair (the oracle baseline reads the sharp image for its kernel). */
  restore(blur: Raster, sharp: Raster, id: string): Promise<{ restored: Raster; cached?: boolean }>;
}

export const INPUT_METHOD: Method = { name: 'blurred input', kind: 'input', restore: async (blur) => ({ restored: blur }) };

/** A network (the lab's or a peer; or a loader, called on the first cache miss), optionally answered from a restoration cache. */
export function networkMethod(name: string, model: NetworkSource, o: { kind?: 'network' | 'peer'; cache?: RestorationCache } = {}): Method {
  return {
    name,
    kind: o.kind ?? 'network',
    restore: async (blur, _sharp, id) => {
      const r = await restoreS1(model, blur, { ...(o.cache ? { cache: o.cache } : {}), source: id });
      return { restored: r.restored, cached: r.cached };
    },
  };
}

export function baselineMethod(name: BaselineName, tuned: TunedBaselines): Method {
  return { name: describeBaseline(name, tuned), kind: 'baseline', restore: async (blur, sharp) => ({ restored: restoreBaseline(name, tuned, blur, sharp) }) };
}

/** One method's results on a set, per image in the set's order. */
export interface MethodResults {
  psnr: number[];
  /** null for images smaller than SSIM's window. */
  ssim: (number | null)[];
  /** How many outputs came from a cache. */
  cached: number;
  /** Radially averaged power of the outputs, summed over the images (same-size images only; else empty). */
  power: number[];
}

export interface SetComparison {
  name: string;
  /** How the outputs were scored. */
  protocol: ScoringProtocol;
  ids: string[];
  /** Ring frequencies (cycles/px) of `power`; empty where the images differ in size. */
  frequency: number[];
  /** The sharp images' power, summed like the methods'. */
  sharpPower: number[];
  methods: Map<string, MethodResults>;
}

/**
 * Runs every method on every pair; `onImage` after each (pair, method). With RealBlur's protocol
 * each output is aligned to the sharp image before it is scored, as `eval` does for RealBlur.
 */
export async function compareOnSet(name: string, pairs: readonly ImagePair[], methods: readonly Method[], onImage?: (done: number, total: number, what: string) => void, protocol: ScoringProtocol = 'whole'): Promise<SetComparison> {
  const names = new Set<string>();
  for (const m of methods) {
    if (names.has(m.name)) throw new Error(`compareOnSet: two methods are named ${m.name}`);
    names.add(m.name);
  }
  const out: SetComparison = { name, protocol, ids: [], frequency: [], sharpPower: [], methods: new Map(methods.map((m) => [m.name, { psnr: [], ssim: [], cached: 0, power: [] }])) };
  const sized = pairs.every((p) => p.width === pairs[0]?.width && p.height === pairs[0]?.height);
  let done = 0;
  for (const pair of pairs) {
    const [{ raster: blur }, { raster: sharp }] = await Promise.all([readRaster(pair.blur), readRaster(pair.sharp)]);
    out.ids.push(pair.id);
    if (sized) {
      const s = await powerOf(sharp);
      out.frequency = s.frequency;
      out.sharpPower = addInto(out.sharpPower, s.power);
    }
    for (const m of methods) {
      const r = await m.restore(blur, sharp, pair.id);
      const res = out.methods.get(m.name)!;
      const scored = scoreImage(r.restored, sharp, protocol);
      res.psnr.push(scored.psnr);
      res.ssim.push(scored.ssim);
      if (r.cached) res.cached++;
      if (sized) res.power = addInto(res.power, (await powerOf(r.restored)).power);
      onImage?.(++done, pairs.length * methods.length, `${m.name} on ${pair.id}`);
    }
  }
  return out;
}

async function powerOf(r: Raster): Promise<{ frequency: number[]; power: number[] }> {
  const t = rasterToTensor(r);
  const p = await radialPower(t);
  t.dispose();
  return p;
}

function addInto(sum: number[], x: readonly number[]): number[] {
  return sum.length === 0 ? [...x] : sum.map((v, i) => v + x[i]!);
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/** A method's mean scores on a set and its gain over the blurred input (NaN when the input was not among the methods). */
export function methodMeans(set: SetComparison, method: string): { psnr: number; gain: number; ssim: number | null } {
  const r = set.methods.get(method);
  const input = set.methods.get(INPUT_METHOD.name);
  if (!r) throw new Error(`methodMeans: no method ${method} on ${set.name}`);
  const ssims = r.ssim.some((s) => s === null) ? null : mean(r.ssim as number[]);
  return { psnr: mean(r.psnr), gain: input ? mean(r.psnr) - mean(input.psnr) : NaN, ssim: ssims };
}

/** Per frequency ring: a method's summed power over the sharp images' (1: the sharp images' power restored). */
export function powerRatioToSharp(set: SetComparison, method: string): number[] {
  const r = set.methods.get(method);
  if (!r || r.power.length === 0) throw new Error(`powerRatioToSharp: no spectra for ${method} on ${set.name} (images of different sizes?)`);
  return r.power.map((p, i) => p / set.sharpPower[i]!);
}

/** How a method stands on a set against the blurred input: mean gain, images improved, the worst image. */
export interface MethodStanding {
  gain: number;
  improved: number;
  n: number;
  worst: { id: string; gain: number };
}

export function methodStanding(set: SetComparison, method: string): MethodStanding {
  const r = set.methods.get(method);
  const input = set.methods.get(INPUT_METHOD.name);
  if (!r || !input) throw new Error(`methodStanding: no ${r ? 'input' : `method ${method}`} on ${set.name}`);
  const gains = r.psnr.map((p, i) => p - input.psnr[i]!);
  const w = gains.indexOf(Math.min(...gains));
  return { gain: mean(gains), improved: gains.filter((g) => g > 0).length, n: gains.length, worst: { id: set.ids[w]!, gain: gains[w]! } };
}
