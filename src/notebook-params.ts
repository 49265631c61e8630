import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from './errors';
import { PEERS, SHIPPED_WEIGHTS } from './infer/weights';
import { findCheckpoint } from './train/checkpoint';
import { LAYOUTS, type Dataset, type Layout } from './data/dataset';
import { openDataset } from './data/open-dataset';
import type { GoProBlur } from './data/gopro';
import type { RealBlurVariant } from './data/realblur';

/**
 * What a notebook runs on, from the environment (Jupyter's "parameters" cell convention: the
 * notebook's first code cell, tagged `parameters`, reads these), so that the same notebook looks
 * at a user's own data and weights: `npm run notebooks -- 06-dffm-attention --weights A,B` sets
 * them, and so can a shell before `npm run lab`.
 *   DEBLUR_DATA     dataset folder (default data/sample)
 *   DEBLUR_SPLIT    train or test (default test)
 *   DEBLUR_WEIGHTS  weights folders or runs, comma-separated (default the shipped network)
 *   DEBLUR_LIMIT    at most this many images (default all)
 *   DEBLUR_LAYOUT   gopro, realblur or pairs (default detected from the folder)
 *   DEBLUR_REALBLUR J or R: which of RealBlur's lists (default J where it is there)
 *   DEBLUR_BLUR     GoPro's blur or blur_gamma folder (default blur)
 * Weights may name `maxim`, the peer (where notebooks take several networks).
 */
export interface NotebookParameters {
  data: string;
  split: 'train' | 'test';
  weights: string[];
  limit?: number;
  layout?: Layout;
  realBlurVariant?: RealBlurVariant;
  blur?: GoProBlur;
  /** Which parameters were set rather than defaulted (a notebook may add the user's data beside its own sets). */
  given: { data: boolean; weights: boolean };
}

export const PARAMETER_VARIABLES = {
  data: 'DEBLUR_DATA',
  split: 'DEBLUR_SPLIT',
  weights: 'DEBLUR_WEIGHTS',
  limit: 'DEBLUR_LIMIT',
  layout: 'DEBLUR_LAYOUT',
  realBlurVariant: 'DEBLUR_REALBLUR',
  blur: 'DEBLUR_BLUR',
} as const;

/** The peer network's name where weights are taken (the one peer loadNetwork knows). */
export const PEER_WEIGHTS = PEERS[0];

/** Reads and checks the parameters; a bad value is one UsageError naming the variable. */
export function notebookParameters(env: NodeJS.ProcessEnv = process.env, root = process.cwd()): NotebookParameters {
  const data = env[PARAMETER_VARIABLES.data] || 'data/sample';
  if (!fs.existsSync(path.resolve(root, data))) throw new UsageError(`${PARAMETER_VARIABLES.data}: no folder ${data}`);
  const split = env[PARAMETER_VARIABLES.split] || 'test';
  if (split !== 'train' && split !== 'test') throw new UsageError(`${PARAMETER_VARIABLES.split} must be train or test (got ${split})`);
  const weights = (env[PARAMETER_VARIABLES.weights] || SHIPPED_WEIGHTS).split(',').map((w) => w.trim()).filter(Boolean);
  if (weights.length === 0) throw new UsageError(`${PARAMETER_VARIABLES.weights}: no weights named`);
  for (const w of weights) {
    if (w === PEER_WEIGHTS) continue; // whether it is installed is the notebook's to say (it may be answered from its cache)
    const dir = path.resolve(root, w);
    const usable = fs.existsSync(path.join(dir, 'model.json')) || findCheckpoint(dir) !== undefined;
    if (!usable) throw new UsageError(`${PARAMETER_VARIABLES.weights}: ${w} holds no network (a weights folder with model.json, or a training run)`);
  }
  const limitText = env[PARAMETER_VARIABLES.limit];
  let limit: number | undefined;
  if (limitText) {
    limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`${PARAMETER_VARIABLES.limit} must be a whole number ≥ 1 (got ${limitText})`);
  }
  const layout = env[PARAMETER_VARIABLES.layout] || undefined;
  if (layout !== undefined && !(LAYOUTS as readonly string[]).includes(layout)) throw new UsageError(`${PARAMETER_VARIABLES.layout} must be ${LAYOUTS.join(', ')} (got ${layout})`);
  const variant = env[PARAMETER_VARIABLES.realBlurVariant] || undefined;
  if (variant !== undefined && variant !== 'J' && variant !== 'R') throw new UsageError(`${PARAMETER_VARIABLES.realBlurVariant} must be J or R (got ${variant})`);
  const blur = env[PARAMETER_VARIABLES.blur] || undefined;
  if (blur !== undefined && blur !== 'blur' && blur !== 'blur_gamma') throw new UsageError(`${PARAMETER_VARIABLES.blur} must be blur or blur_gamma (got ${blur})`);
  return {
    data,
    split,
    weights,
    ...(limit !== undefined ? { limit } : {}),
    ...(layout !== undefined ? { layout: layout as Layout } : {}),
    ...(variant !== undefined ? { realBlurVariant: variant as RealBlurVariant } : {}),
    ...(blur !== undefined ? { blur: blur as GoProBlur } : {}),
    given: { data: Boolean(env[PARAMETER_VARIABLES.data]), weights: Boolean(env[PARAMETER_VARIABLES.weights]) },
  };
}

/** The dataset the parameters name, opened with their layout, split, RealBlur list and GoPro folder; its pairs cut to the limit. */
export async function parameterDataset(p: NotebookParameters): Promise<Dataset> {
  const ds = await openDataset(p.data, { split: p.split, ...(p.layout ? { layout: p.layout } : {}), ...(p.realBlurVariant ? { realBlurVariant: p.realBlurVariant } : {}), ...(p.blur ? { blur: p.blur } : {}) });
  // An option for another layout would be silently ignored: say so instead.
  if (p.realBlurVariant && ds.layout !== 'realblur') throw new UsageError(`${PARAMETER_VARIABLES.realBlurVariant} ${p.realBlurVariant} picks one of RealBlur's lists; ${p.data} is in the ${ds.layout} layout`);
  if (p.blur && ds.layout !== 'gopro') throw new UsageError(`${PARAMETER_VARIABLES.blur} ${p.blur} picks one of GoPro's folders; ${p.data} is in the ${ds.layout} layout`);
  return { ...ds, pairs: ds.pairs.slice(0, p.limit) };
}

/** One line for a notebook's output and the report page: what the notebook ran on. */
export function describeParameters(p: NotebookParameters): string {
  const how = [`${p.split} split`, ...(p.layout ? [`${p.layout} layout`] : []), ...(p.realBlurVariant ? [`RealBlur-${p.realBlurVariant}`] : []), ...(p.blur ? [`${p.blur}/`] : []), ...(p.limit !== undefined ? [`at most ${p.limit} images`] : [])];
  return `data ${p.data} (${how.join(', ')}); weights ${p.weights.join(', ')}`;
}

/** The environment that makes a notebook run on these parameters (for the notebook runner). */
export function parameterEnvironment(p: Partial<Omit<NotebookParameters, 'given'>>): Record<string, string> {
  return {
    ...(p.layout !== undefined ? { [PARAMETER_VARIABLES.layout]: p.layout } : {}),
    ...(p.realBlurVariant !== undefined ? { [PARAMETER_VARIABLES.realBlurVariant]: p.realBlurVariant } : {}),
    ...(p.blur !== undefined ? { [PARAMETER_VARIABLES.blur]: p.blur } : {}),
    ...(p.data !== undefined ? { [PARAMETER_VARIABLES.data]: p.data } : {}),
    ...(p.split !== undefined ? { [PARAMETER_VARIABLES.split]: p.split } : {}),
    ...(p.weights !== undefined ? { [PARAMETER_VARIABLES.weights]: p.weights.join(',') } : {}),
    ...(p.limit !== undefined ? { [PARAMETER_VARIABLES.limit]: String(p.limit) } : {}),
  };
}

/** The first of the parameters' weights that is one of the lab's networks: notebooks that look inside a network cannot look inside the peer. */
export function labNetworkWeights(p: NotebookParameters): string {
  const w = p.weights.find((x) => x !== PEER_WEIGHTS);
  if (w === undefined) throw new UsageError(`${PARAMETER_VARIABLES.weights}: ${PEER_WEIGHTS} is a peer run as a whole; this notebook looks inside the lab's own networks (name a weights folder or a run)`);
  return w;
}

/** What the baselines need to find the training split of the parameters' data (the same layout, GoPro folder and RealBlur list). */
export function parameterDatasetSpec(p: NotebookParameters, ds: Dataset): { root: string; layout: Layout; split: 'train' | 'test'; blur?: GoProBlur; realBlurVariant?: RealBlurVariant } {
  return { root: ds.root, layout: ds.layout, split: p.split, ...(p.blur ? { blur: p.blur } : {}), ...(p.realBlurVariant ? { realBlurVariant: p.realBlurVariant } : {}) };
}

/** The command-line options that set the parameters (`npm run notebooks`, `npm run lab`): one flag per variable. */
const PARAMETER_FLAGS: ReadonlyArray<[keyof typeof PARAMETER_VARIABLES, string, string]> = [
  ['data', '--data <dir>', 'dataset the notebooks read (default data/sample)'],
  ['split', '--split <name>', 'train or test (default test)'],
  ['weights', '--weights <dirs>', 'weights folders or runs, comma-separated, maxim for the peer (default the shipped network)'],
  ['limit', '--limit <n>', 'at most this many images'],
  ['layout', '--layout <name>', 'gopro, realblur or pairs (default detected)'],
  ['realBlurVariant', '--realblur <variant>', "J or R: which of RealBlur's lists"],
  ['blur', '--blur <folder>', "GoPro's blur or blur_gamma (default blur)"],
];

export function addParameterOptions(cmd: Command): Command {
  for (const [key, flag, help] of PARAMETER_FLAGS) cmd.option(flag, `${help} (${PARAMETER_VARIABLES[key]})`);
  return cmd;
}

/**
 * The environment the given options set (the notebooks' kernels inherit it), checked as the
 * notebooks will read it: a bad value, or data that does not open as asked, is one UsageError now.
 */
export async function parameterOptionsEnvironment(opts: Record<string, unknown>, root: string): Promise<Record<string, string>> {
  const optionName: Record<string, string> = { realBlurVariant: 'realblur' };
  const env: Record<string, string> = {};
  for (const [key] of PARAMETER_FLAGS) {
    const v = opts[optionName[key] ?? key];
    if (v !== undefined) env[PARAMETER_VARIABLES[key]] = String(v);
  }
  const p = notebookParameters({ ...process.env, ...env }, root);
  if (p.given.data) await parameterDataset(p);
  return env;
}
