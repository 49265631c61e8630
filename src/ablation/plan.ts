import { UsageError } from '../errors';
import { isVariantName, variantConfig, type NetConfig, type VariantName } from '../model/config';
import { recipeOf, type Recipe } from '../train/recipe';

/**
 * The paper's table 2 as an experiment we can afford: the ablation rungs (and MIMO-UNet) at one
 * width and depth, trained for the same steps on the same data with the same seeds, so the only
 * difference between two runs of a seed is the block and skip design.
 */
export interface AblationPlan {
  /** Variants trained at the first seed, in this order. */
  variants: VariantName[];
  /** Width C and blocks per group N shared by every variant. */
  channels: number;
  blocks: number;
  steps: number;
  batch: number;
  crop: number;
  /** Cosine schedule from lr to lrFinal over `steps`. */
  lr: number;
  lrFinal: number;
  /** The first seed (weights and batches); the second-seed runs use seed + 1. */
  seed: number;
  /** Weights kept every this many steps (a quarter of the run) for the held-out learning curve. */
  snapshotEvery: number;
  /** Held-out learning curve: every k-th held-out pair. */
  curveEvery: number;
  /** The rungs among which the two closest get a second seed. */
  rungs: VariantName[];
}

export const DEFAULT_PLAN: AblationPlan = {
  variants: ['baseline', 'dffm', 'full', 'mimo'],
  channels: 16,
  blocks: 2,
  steps: 1000,
  batch: 4,
  crop: 128,
  lr: 1e-3,
  lrFinal: 1e-6,
  seed: 0,
  snapshotEvery: 250,
  curveEvery: 4,
  rungs: ['baseline', 'dffm', 'full'],
};

/** A run's name: variant and seed, e.g. `dffm-s1`. */
export function runName(variant: string, seed: number): string {
  return `${variant}-s${seed}`;
}

export function parseRunName(name: string): { variant: VariantName; seed: number } {
  const m = /^([a-z]+)-s(\d+)$/.exec(name);
  if (!m) throw new UsageError(`not an ablation run name: ${name} (expected variant-sSEED)`);
  if (!isVariantName(m[1]!)) throw new UsageError(`${name}: unknown variant ${m[1]}`);
  return { variant: m[1] as VariantName, seed: Number(m[2]) };
}

/** The network a variant is trained as in this plan: the variant's design at the plan's C and N. */
export function planConfig(plan: AblationPlan, variant: VariantName): NetConfig {
  return variantConfig(variant, { channels: plan.channels, blocks: plan.blocks });
}

/**
 * One run of the plan as a recipe (what `deblur-lab continue` trains): the variant's design at the
 * plan's C and N, the plan's length, crops and cosine schedule, at `seed`, with the snapshots the
 * learning curve reads.
 */
export function ablationRecipe(plan: AblationPlan, variant: VariantName, o: { data: string; seed: number }): Recipe {
  return recipeOf(
    runName(variant, o.seed),
    {
      data: { root: o.data, blur: 'blur' },
      network: { config: planConfig(plan, variant) },
      steps: plan.steps,
      pipeline: { batch: plan.batch, crop: plan.crop, flip: true, seed: o.seed },
      schedule: { kind: 'cosine', initial: plan.lr, final: plan.lrFinal, total: plan.steps },
    },
    { checkpointEvery: Math.min(50, plan.snapshotEvery), snapshotEvery: plan.snapshotEvery },
  );
}

/** Where two plans differ, as "steps 1000 vs 2000"; '' when they are the same experiment. */
export function planDifference(a: AblationPlan, b: AblationPlan): string {
  return (Object.keys(a) as Array<keyof AblationPlan>)
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => `${k} ${JSON.stringify(a[k])} vs ${JSON.stringify(b[k])}`)
    .join(', ');
}
