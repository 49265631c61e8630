import type { Command } from 'commander';
import { summarizeLedger } from '../train/ledger';
import { planOf, readRecipe, recipeFile, RECIPE_FILE } from '../train/recipe';
import { resumable } from '../train/run';
import { openRecipeRun, trainSitting } from '../train/sitting';
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
  const recipe = readRecipe(recipeFile(runDir));
  planOf(recipe, recipeFile(runDir)); // a recipe naming an impossible network is refused before anything starts
  const started = performance.now();
  const backend = await startBackendOption(o.backend);
  const resuming = resumable(runDir);
  const run = await openRecipeRun(runDir, recipe, { backend, say, ...(o.fromSnapshot ? { fromSnapshot: true } : {}) });
  try {
    const s = run.state;
    const until = Math.min(o.until ?? s.plannedSteps, s.plannedSteps);
    const sum = summarizeLedger(s.ledger ?? []);
    say(
      `${resuming ? `continuing ${runDir} at step ${run.startStep}` : `starting ${runDir}`} (${recipe.name}): ${s.variant ?? 'custom config'} (C=${s.config.channels}, N=${s.config.blocks}), ` +
        `batch ${s.pipeline.batch} × ${s.pipeline.crop}², ${describeSchedule(s.schedule)}${s.loss ? `, ${s.loss} loss` : ''}; so far ${sum.steps} steps in ${sum.segments} sittings, ` +
        `${sum.cpuHours.toFixed(2)} CPU hours and ${sum.gpuMinutes.toFixed(1)} GPU minutes`,
    );
    // The budget counts from the command's start, so set-up and catch-up evaluations are inside it.
    const deadline = o.for !== undefined ? started + o.for * 1000 : undefined;
    const r = await runSitting(
      { from: run.trainer.step, until, stepLine: (rep) => `loss ${rep.loss.total.toFixed(4)} lr ${rep.lr.toExponential(1)} ${rep.stepSeconds.toFixed(2)} s/step` },
      (signal, onStep) => trainSitting(run, recipe, { backend: backend.backend, until, ...(deadline !== undefined ? { deadline } : {}), signal, onStep, milestones: o.milestones, say }),
    );
    if (r === 'diverged') return;
    if (!r) {
      say(`${runDir}: already at step ${run.trainer.step}${until < s.plannedSteps ? ` (asked to stop at ${until})` : ` of ${s.plannedSteps}`}; nothing to train`);
      return;
    }
    const total = summarizeLedger(run.state.ledger ?? []);
    const why = r.stoppedBy === 'deadline' ? 'time is up' : r.stoppedBy === 'signal' ? 'stopped' : 'done';
    say(
      `${why}: steps ${r.from} → ${r.step} of ${s.plannedSteps}; checkpoint ${r.checkpoint ?? '(none)'}. ` +
        `Ledger: ${total.steps} steps in ${total.segments} sittings, ${total.cpuHours.toFixed(2)} CPU hours, ${total.gpuMinutes.toFixed(1)} GPU minutes`,
    );
    if (r.carry) say(`carry-over for git: ${r.carry} (step ${r.step}; ${RECIPE_FILE} says the checkpoint itself stays on this machine)`);
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
