import * as path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors';
import { summarizeLedger } from '../train/ledger';
import { ensureRecipeData, openMilestones } from '../train/milestones';
import { planOf, readRecipe, RECIPE_FILE } from '../train/recipe';
import { resumable, TrainingRun } from '../train/run';
import { describeSchedule } from '../train/schedule';
import { duration, positiveInt, startBackendOption } from './options';
import { runSitting } from './sitting';

interface ContinueCliOptions {
  fromSnapshot?: boolean;
  for?: number;
  until?: number;
  backend?: string;
  milestones: boolean;
}

export const CANONICAL_RUN = 'runs/canonical';

function say(line: string): void {
  console.log(line);
}

async function continueRun(runArg: string | undefined, o: ContinueCliOptions): Promise<void> {
  const runDir = runArg ?? CANONICAL_RUN;
  const recipeFile = path.join(runDir, RECIPE_FILE);
  const recipe = readRecipe(recipeFile);
  const plan = planOf(recipe, recipeFile);
  ensureRecipeData(recipe, say);
  const started = performance.now();
  const backend = await startBackendOption(o.backend);
  const resuming = resumable(runDir);
  const run = await TrainingRun.open({
    out: runDir,
    ...(resuming
      ? { expect: { dataRoot: plan.data.root, dataMix: { ...(plan.data.exclude ? { exclude: plan.data.exclude } : {}), ...(plan.data.repeat ? { repeat: plan.data.repeat } : {}) }, config: plan.network.config, pipeline: plan.pipeline, steps: plan.steps, schedule: plan.schedule, loss: plan.loss ?? 'paper' } }
      : { plan }),
    refuse: (ms) => {
      throw new UsageError(`${recipeFile} and the run's checkpoint disagree (${ms.map((m) => `${m.field}: recipe ${m.asked}${m.stored ? `, checkpoint ${m.stored}` : ''}`).join('; ')}); a run continues only under its own recipe`);
    },
    backend,
    ...(o.fromSnapshot ? { fromSnapshot: true } : {}),
  });
  try {
    if (recipe.ema && !run.trainer.averaging) {
      run.trainer.averageWeights(recipe.ema.decay);
      say(`averaging the weights from step ${run.trainer.step} on (decay ${recipe.ema.decay}): the checkpoint had no average yet`);
    }
    const s = run.state;
    const until = Math.min(o.until ?? s.plannedSteps, s.plannedSteps);
    const sum = summarizeLedger(s.ledger ?? []);
    say(
      `${resuming ? `continuing ${runDir} at step ${run.startStep}` : `starting ${runDir}`} (${recipe.name}): ${s.variant ?? 'custom config'} (C=${s.config.channels}, N=${s.config.blocks}), ` +
        `batch ${s.pipeline.batch} × ${s.pipeline.crop}², ${describeSchedule(s.schedule)}${s.loss ? `, ${s.loss} loss` : ''}; so far ${sum.steps} steps in ${sum.segments} sittings, ` +
        `${sum.cpuHours.toFixed(2)} CPU hours and ${sum.gpuMinutes.toFixed(1)} GPU minutes`,
    );
    const m = o.milestones ? await openMilestones(runDir, recipe, run, backend.backend, say) : undefined;
    if (m) await m.catchUp(); // milestones a stopped sitting left unscored

    if (run.trainer.step >= until) {
      say(`${runDir}: already at step ${run.trainer.step}${until < s.plannedSteps ? ` (asked to stop at ${until})` : ` of ${s.plannedSteps}`}; nothing to train`);
      return;
    }
    const split = await run.fitToMemory();
    if (split) say(split);

    // The budget counts from the command's start, so set-up and catch-up evaluations are inside it.
    const deadline = o.for !== undefined ? started + o.for * 1000 : undefined;
    const from = run.trainer.step;
    const r = await runSitting(run, {
      until,
      ...(deadline !== undefined ? { deadline } : {}),
      checkpointEvery: recipe.checkpointEvery,
      stepLine: (rep) => `loss ${rep.loss.total.toFixed(4)} lr ${rep.lr.toExponential(1)} ${rep.stepSeconds.toFixed(2)} s/step`,
      onCheckpoint: async (_dir, step) => {
        if (m && step % recipe.milestones.every === 0) await m.take(step);
      },
    });
    if (!r) return;
    const total = summarizeLedger(run.state.ledger ?? []);
    const why = r.stoppedBy === 'deadline' ? 'time is up' : r.stoppedBy === 'signal' ? 'stopped' : 'done';
    say(
      `${why}: steps ${from} → ${r.step} of ${s.plannedSteps}; checkpoint ${r.checkpoint ?? '(none)'}. ` +
        `Ledger: ${total.steps} steps in ${total.segments} sittings, ${total.cpuHours.toFixed(2)} CPU hours, ${total.gpuMinutes.toFixed(1)} GPU minutes`,
    );
    if (recipe.keep === 'carry' && r.checkpoint) say(`carry-over for git: ${await run.writeCarry()} (step ${run.trainer.step}; ${RECIPE_FILE} says the checkpoint itself stays on this machine)`);
  } finally {
    run.dispose();
  }
}

export function registerContinue(program: Command): void {
  program
    .command('continue')
    .argument('[run]', `run folder holding ${RECIPE_FILE} (and, once started, its checkpoint)`, CANONICAL_RUN)
    .description('start or continue a long training run from its recipe: checkpoints, a ledger of sittings, milestone evaluations with the classical baselines')
    .option('--for <duration>', 'train for this long (e.g. 150m, 2h, 1h30m; set-up and milestone evaluations count), then checkpoint and stop', duration)
    .option('--until <step>', 'stop at this step (default: the recipe\'s planned length)', positiveInt)
    .option('--from-snapshot', "if the run's checkpoint is damaged, restart from its newest whole snapshot (Adam's moments restart; the loss log and ledger are cut back to it)")
    .option('--no-milestones', 'skip the milestone evaluations (the curve can be caught up by a later sitting from the snapshots)')
    .option('--backend <name>', 'auto, tensorflow, webgpu, wasm or cpu (default: $DEBLUR_BACKEND or auto)')
    .action(continueRun);
}
