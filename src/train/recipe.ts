import * as fs from 'node:fs';
import * as path from 'node:path';
import { isLayout, type Layout } from '../data/dataset';
import { GOPRO_BLURS, type GoProBlur } from '../data/gopro';
import { UsageError } from '../errors';
import { LOSS_FORMS, type LossForm } from '../loss';
import { configDifference, configFromSpec, variantConfig } from '../model/config';
import type { CurveSet } from './curve';
import type { RunPlan } from './run';
import { validateSchedule, type Schedule } from './schedule';

/**
 * A long run's recipe, `RUN/recipe.json`: the plan of the run (network, data, pipeline, schedule,
 * weight average) and how its sittings go (checkpoint cadence, milestone evaluations). The
 * `continue` command starts the run from it, or continues the run's checkpoint, which must agree.
 * Paths are relative to the project root.
 */
export interface Recipe {
  name: string;
  /** Why this recipe: read by people, printed nowhere. */
  about?: string;
  data: {
    root: string;
    blur?: GoProBlur;
    layout?: Layout;
    /** Generators whose pairs are left out of training (the set's synth.json says which made each pair). */
    exclude?: string[];
    /** Copies per epoch of each pair of these generators, e.g. {"none": 3}: shifts the mixture without building another set. */
    repeat?: Record<string, number>;
    /** The npm script, with its arguments, that builds the data when it is missing (it is deterministic: the same pairs every time), e.g. "data:train -- --mix mixed". */
    build?: string;
  };
  /** A named variant, or a (partial) NetConfig over one: `{ "variant": "lite", "channels": 24 }`. */
  network: Record<string, unknown> & { variant?: string };
  /** Start from these weights (a weights folder or a run): copied (default) or grown into the larger network. */
  init?: { weights: string; how?: 'copy' | 'grow' };
  steps: number;
  pipeline: { batch: number; crop: number; flip?: boolean; seed: number };
  schedule: Schedule;
  ema?: { decay: number };
  /** What the optimiser minimises: "paper" (default), "log-per-image" or "relative" (see LossForm). */
  loss?: LossForm;
  checkpointEvery: number;
  /** Also keep the weights every this many steps in RUN/snapshots/ (milestones take theirs anyway). */
  snapshotEvery?: number;
  /**
   * What git keeps of the run between sittings: its checkpoint (default), or only a carry-over
   * (train/carry.ts: the averaged weights in half precision) when checkpoints are too big to commit
   * every sitting; the checkpoint then stays on the machine (.gitignore).
   */
  keep?: 'checkpoint' | 'carry';
  /** Evaluations at fixed steps into the run's curve (curve.ts); absent: none. */
  milestones?: { every: number; sets: CurveSet[] };
}

export const RECIPE_FILE = 'recipe.json';

function fail(file: string, what: string): never {
  throw new UsageError(`${file}: ${what}`);
}

function positiveInteger(file: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(file, `${name} must be a positive integer (got ${JSON.stringify(v)})`);
  return v;
}

/** The recipe of the run in `dir`. */
export function recipeFile(dir: string): string {
  return path.join(dir, RECIPE_FILE);
}

/** Reads and checks a recipe; every problem is one UsageError naming the field. */
export function readRecipe(file: string): Recipe {
  if (!fs.existsSync(file)) throw new UsageError(`${file}: no such recipe`);
  let r: unknown;
  try {
    r = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    fail(file, `not valid JSON (${(e as Error).message})`);
  }
  return checkRecipe(r, file);
}

/** Checks a recipe object (from a file, a notebook or another command); `file` names it in errors. */
export function checkRecipe(json: unknown, file = RECIPE_FILE): Recipe {
  const r = json as Recipe;
  if (typeof r !== 'object' || r === null) fail(file, 'expected a JSON object');
  if (typeof r.name !== 'string' || !r.name) fail(file, 'name must be a non-empty string');
  if (typeof r.data?.root !== 'string') fail(file, 'data.root must be the dataset folder');
  if (r.data.blur !== undefined && !(GOPRO_BLURS as readonly string[]).includes(r.data.blur)) fail(file, `data.blur must be ${GOPRO_BLURS.join(' or ')}`);
  if (r.data.layout !== undefined && !isLayout(r.data.layout)) fail(file, `data.layout ${JSON.stringify(r.data.layout)} is not a layout`);
  if (r.data.exclude !== undefined && !(Array.isArray(r.data.exclude) && r.data.exclude.every((g) => typeof g === 'string'))) fail(file, 'data.exclude must be a list of generator names, e.g. ["defocus"]');
  if (r.data.repeat !== undefined && (typeof r.data.repeat !== 'object' || r.data.repeat === null || !Object.values(r.data.repeat).every((k) => Number.isInteger(k) && k >= 1))) fail(file, 'data.repeat must map generator names to whole numbers of copies ≥ 1, e.g. {"none": 3}');
  if (typeof r.network !== 'object' || r.network === null) fail(file, 'network must be an object such as {"variant": "full"}');
  if (r.init !== undefined) {
    if (typeof r.init !== 'object' || r.init === null || typeof r.init.weights !== 'string') fail(file, 'init must look like {"weights": "weights/lite-canonical", "how": "grow"}');
    if (r.init.how !== undefined && r.init.how !== 'copy' && r.init.how !== 'grow') fail(file, `init.how must be copy or grow (got ${JSON.stringify(r.init.how)})`);
  }
  positiveInteger(file, 'steps', r.steps);
  for (const k of ['batch', 'crop'] as const) positiveInteger(file, `pipeline.${k}`, r.pipeline?.[k]);
  if (typeof r.pipeline.seed !== 'number' || !Number.isInteger(r.pipeline.seed) || r.pipeline.seed < 0) fail(file, 'pipeline.seed must be a non-negative integer');
  try {
    validateSchedule(r.schedule);
  } catch (e) {
    fail(file, (e as Error).message);
  }
  if (r.schedule.kind === 'cosine' && r.schedule.total !== r.steps) fail(file, `schedule.total (${r.schedule.total}) must equal steps (${r.steps}): the cosine anneals over the whole run`);
  if (r.ema !== undefined && !(r.ema.decay > 0 && r.ema.decay < 1)) fail(file, 'ema.decay must be in (0, 1)');
  if (r.loss !== undefined && !LOSS_FORMS.includes(r.loss)) fail(file, `loss must be ${LOSS_FORMS.join(' or ')} (got ${JSON.stringify(r.loss)})`);
  positiveInteger(file, 'checkpointEvery', r.checkpointEvery);
  if (r.keep !== undefined && r.keep !== 'checkpoint' && r.keep !== 'carry') fail(file, `keep must be checkpoint or carry (got ${JSON.stringify(r.keep)})`);
  if (r.snapshotEvery !== undefined) positiveInteger(file, 'snapshotEvery', r.snapshotEvery);
  if (r.milestones === undefined) return r;
  positiveInteger(file, 'milestones.every', r.milestones.every);
  if (r.milestones.every % r.checkpointEvery !== 0) fail(file, 'milestones.every must be a multiple of checkpointEvery (milestones are taken at checkpoints)');
  if (!Array.isArray(r.milestones.sets)) fail(file, 'milestones.sets must be a list of {name, root, every?}');
  for (const s of r.milestones.sets) {
    if (typeof s.name !== 'string' || typeof s.root !== 'string') fail(file, 'each milestone set needs a name and a root');
    if (s.every !== undefined) positiveInteger(file, `milestones.sets[${s.name}].every`, s.every);
    if (s.build !== undefined && typeof s.build !== 'string') fail(file, `milestones.sets[${s.name}].build must be an npm script`);
  }
  return r;
}

/** The run plan a recipe fixes. */
export function planOf(r: Recipe, file = RECIPE_FILE): RunPlan {
  let network: RunPlan['network'];
  try {
    network = configFromSpec(r.network);
  } catch (e) {
    fail(file, `network: ${(e as Error).message}`);
  }
  return {
    data: { root: r.data.root, blur: r.data.blur ?? 'blur', ...(r.data.layout ? { layout: r.data.layout } : {}), ...(r.data.exclude?.length ? { exclude: r.data.exclude } : {}), ...(r.data.repeat ? { repeat: r.data.repeat } : {}) },
    network,
    steps: r.steps,
    pipeline: { batch: r.pipeline.batch, crop: r.pipeline.crop, flip: r.pipeline.flip ?? true, seed: r.pipeline.seed },
    schedule: r.schedule,
    ...(r.ema ? { ema: r.ema } : {}),
    ...(r.loss && r.loss !== 'paper' ? { loss: r.loss } : {}),
    ...(r.init ? { init: { weights: r.init.weights, how: r.init.how ?? 'copy' } } : {}),
  };
}

/** How a run's sittings go, beside its plan: what `recipeOf` takes besides the plan. */
export type SittingSettings = Pick<Recipe, 'checkpointEvery'> & Partial<Pick<Recipe, 'about' | 'snapshotEvery' | 'keep' | 'milestones'>> & { build?: string };

/**
 * The recipe of a plan: what `train` writes from its flags (and a run started before recipes
 * existed, from its checkpoint), so that every run folder is described one way and `continue`
 * continues any of them. planOf(recipeOf(name, p, s)) is p.
 */
export function recipeOf(name: string, plan: RunPlan, s: SittingSettings): Recipe {
  const { variant } = plan.network;
  // A named variant as it is stays a name; anything else is written out whole (over `full`, configFromSpec's base).
  const network = variant && !configDifference(variantConfig(variant), plan.network.config) ? { variant } : { ...plan.network.config };
  const d = plan.data;
  return {
    name,
    ...(s.about ? { about: s.about } : {}),
    data: { root: d.root, blur: d.blur, ...(d.layout ? { layout: d.layout } : {}), ...(d.exclude?.length ? { exclude: d.exclude } : {}), ...(d.repeat ? { repeat: d.repeat } : {}), ...(s.build ? { build: s.build } : {}) },
    network: network as Recipe['network'],
    ...(plan.init ? { init: plan.init } : {}),
    steps: plan.steps,
    pipeline: { ...plan.pipeline },
    schedule: plan.schedule,
    ...(plan.ema ? { ema: plan.ema } : {}),
    ...(plan.loss && plan.loss !== 'paper' ? { loss: plan.loss } : {}),
    checkpointEvery: s.checkpointEvery,
    ...(s.snapshotEvery ? { snapshotEvery: s.snapshotEvery } : {}),
    ...(s.keep ? { keep: s.keep } : {}),
    ...(s.milestones ? { milestones: s.milestones } : {}),
  };
}

/** Writes `dir`/recipe.json whole or not at all (a reader never sees half of one). */
export function writeRecipe(dir: string, r: Recipe): string {
  const file = recipeFile(dir);
  checkRecipe(r, file);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(r, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
  return file;
}
