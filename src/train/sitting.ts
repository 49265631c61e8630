import { UsageError } from '../errors';
import { ensureRecipeData, openMilestones } from './milestones';
import { planOf, recipeFile, type Recipe } from './recipe';
import { resumable, TrainingRun, type Mismatch, type SittingResult } from './run';
import type { StepReport } from './trainer';

/**
 * A run's sittings, one way for every caller (`train`, `continue`, the ablation's runs, a
 * notebook): the recipe's data built where missing, the run started from its recipe or its
 * checkpoint continued (the two must agree), milestones caught up and taken, the carry-over written.
 */

export interface OpenRecipeOptions {
  backend: { backend: string; device: string };
  /** When the checkpoint is damaged: restart from the newest whole snapshot (restart.ts). */
  fromSnapshot?: boolean;
  say?: (line: string) => void;
  /** Words for a recipe that no longer matches the checkpoint (default: names recipe.json and each field). */
  refuse?: (m: Mismatch[]) => never;
}

/** Starts the run in `runDir` from `recipe`, or continues its checkpoint, which must agree with the recipe. */
export async function openRecipeRun(runDir: string, recipe: Recipe, o: OpenRecipeOptions): Promise<TrainingRun> {
  const say = o.say ?? ((l: string) => console.log(l));
  const file = recipeFile(runDir);
  const plan = planOf(recipe, file);
  ensureRecipeData(recipe, say);
  const d = plan.data;
  const run = await TrainingRun.open({
    out: runDir,
    ...(resumable(runDir)
      ? { expect: { dataRoot: d.root, dataMix: { ...(d.exclude ? { exclude: d.exclude } : {}), ...(d.repeat ? { repeat: d.repeat } : {}) }, config: plan.network.config, pipeline: plan.pipeline, steps: plan.steps, schedule: plan.schedule, loss: plan.loss ?? 'paper' } }
      : { plan }),
    refuse:
      o.refuse ??
      ((ms) => {
        throw new UsageError(`${file} and the run's checkpoint disagree (${ms.map((m) => `${m.field}: recipe ${m.asked}${m.stored ? `, checkpoint ${m.stored}` : ''}`).join('; ')}); a run continues only under its own recipe`);
      }),
    backend: o.backend,
    ...(o.fromSnapshot ? { fromSnapshot: true } : {}),
  });
  if (recipe.ema && !run.trainer.averaging) {
    run.trainer.averageWeights(recipe.ema.decay);
    say(`averaging the weights from step ${run.trainer.step} on (decay ${recipe.ema.decay}): the checkpoint had no average yet`);
  }
  return run;
}

export interface RecipeSittingOptions {
  /** The backend's name, recorded with each milestone. */
  backend: string;
  /** Stop at this step (default and at most: the planned length). */
  until?: number;
  /** performance.now() at which to checkpoint and stop. */
  deadline?: number;
  signal?: AbortSignal;
  onStep?: (r: StepReport) => void | Promise<void>;
  /** Score the recipe's milestones (default true; a later sitting catches up any skipped). */
  milestones?: boolean;
  /** This sitting's cadence, where it differs from the recipe's. */
  checkpointEvery?: number;
  snapshotEvery?: number;
  say?: (line: string) => void;
}

export type RecipeSittingResult = SittingResult & {
  /** The step the sitting began at. */
  from: number;
  /** The carry-over written for git (recipes that keep one). */
  carry?: string;
};

/**
 * One sitting of a recipe's run: milestones a stopped sitting left unscored first, then training
 * to `until` (or the deadline, or the signal) with checkpoints, snapshots and milestones, then the
 * carry-over. Returns undefined when the run is already at `until`.
 */
export async function trainSitting(run: TrainingRun, recipe: Recipe, o: RecipeSittingOptions): Promise<RecipeSittingResult | undefined> {
  const say = o.say ?? ((l: string) => console.log(l));
  const plan = recipe.milestones;
  const m = plan && (o.milestones ?? true) ? await openMilestones(run.out, plan, run, o.backend, say) : undefined;
  if (m) await m.catchUp();
  const until = Math.min(o.until ?? run.state.plannedSteps, run.state.plannedSteps);
  if (run.trainer.step >= until) return undefined;
  const split = await run.fitToMemory();
  if (split) say(split);
  const from = run.trainer.step;
  const snapshotEvery = o.snapshotEvery ?? recipe.snapshotEvery;
  const r = await run.train({
    until,
    ...(o.deadline !== undefined ? { deadline: o.deadline } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onStep ? { onStep: o.onStep } : {}),
    checkpointEvery: o.checkpointEvery ?? recipe.checkpointEvery,
    ...(snapshotEvery ? { snapshotEvery } : {}),
    ...(m && plan ? { onCheckpoint: async (_dir: string, step: number) => (step % plan.every === 0 ? m.take(step) : undefined) } : {}),
  });
  const carry = recipe.keep === 'carry' && r.checkpoint ? await run.writeCarry() : undefined;
  return { ...r, from, ...(carry ? { carry } : {}) };
}
