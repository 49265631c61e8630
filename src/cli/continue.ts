import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import type * as tf from '@tensorflow/tfjs';
import { loadModel } from '../model/io';
import { UsageError } from '../errors';
import { appendCurve, curveBaselines, curvePoint, openCurveSets, readCurve, trainingAt, trainingOf, type CurvePoint, type CurveSet } from '../train/curve';
import { LossLog } from '../train/loss-log';
import { summarizeLedger } from '../train/ledger';
import { planOf, readRecipe, RECIPE_FILE, type Recipe } from '../train/recipe';
import { resumable, SNAPSHOTS, snapshotDir, TrainingRun } from '../train/run';
import { describeSchedule } from '../train/schedule';
import type { ImagePair } from '../data/dataset';
import { duration, positiveInt, startBackendOption } from './options';
import { progress } from './progress';
import { onSigint, reportedDivergence } from './train';

interface ContinueCliOptions {
  fromSnapshot?: boolean;
  for?: number;
  until?: number;
  backend?: string;
  milestones: boolean;
}

export const CANONICAL_RUN = 'runs/canonical';
const CACHE = path.join('build', 'cache');

function say(line: string): void {
  console.log(line);
}

/** Builds a missing folder with its npm script (and arguments), e.g. "data:train -- --mix mixed"; every build is deterministic. */
function ensureBuilt(root: string, build: string | undefined, what: string): void {
  if (fs.existsSync(root)) return;
  if (!build) throw new UsageError(`${root}: ${what} is missing (and the recipe names no script that builds it)`);
  say(`${root} is missing: building it with \`npm run ${build}\` (deterministic: the same pairs every time)`);
  const [script, ...args] = build.trim().split(/\s+/);
  const built = spawnSync('npm', ['run', '--silent', script!, ...args], { stdio: 'inherit' });
  if (built.status !== 0) throw new UsageError(`npm run ${build} failed (exit ${built.status}); the run was not touched`);
}

/** The recipe's training data and milestone sets, built where missing. */
function ensureData(r: Recipe): void {
  ensureBuilt(r.data.root, r.data.build, "the recipe's training data");
  for (const s of r.milestones.sets) ensureBuilt(s.root, s.build, `milestone set "${s.name}"`);
}

const dB = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(2)} dB`;

function describePoint(p: CurvePoint): string {
  return `${p.weights} ` + Object.entries(p.sets).map(([name, s]) => `${name} ${dB(s.gain)} (${s.improved}/${s.n} improved${s.worst !== undefined ? `, worst ${dB(s.worst)}` : ''})`).join(', ');
}

/** Milestone snapshots on disk that have no curve point yet (e.g. a sitting killed while evaluating). */
function pendingSnapshots(run: string, every: number, curve: readonly CurvePoint[]): number[] {
  const dir = path.join(run, SNAPSHOTS);
  if (!fs.existsSync(dir)) return [];
  const done = new Set(curve.map((p) => p.step));
  return fs
    .readdirSync(dir)
    .map((n) => /^step-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .filter((s) => s % every === 0 && !done.has(s) && fs.existsSync(path.join(snapshotDir(run, s), 'model.json')))
    .sort((a, b) => a - b);
}

interface Milestones {
  sets: Array<CurveSet & { pairs: ImagePair[] }>;
  /** Scores the models of milestone `step`; `live` when the run is at that step (else the loss log says what it took). */
  evaluate(step: number, models: Array<{ weights: CurvePoint['weights']; model: tf.LayersModel }>, live: boolean): Promise<void>;
}

async function milestones(runDir: string, r: Recipe, run: TrainingRun, backend: string): Promise<Milestones> {
  const sets = await openCurveSets(r.milestones.sets);
  const about = { root: run.data.root, description: run.data.description, pairs: run.data.pairs, fingerprint: run.data.fingerprint };
  const baselines = await curveBaselines(runDir, sets, { pairs: run.trainer.pipeline.pairs, about }, CACHE, say);
  for (const [name, b] of Object.entries(baselines.sets)) say(`baselines on ${name}: ${Object.values(b).map((x) => `${x.label}: ${dB(x.gain)}`).join('; ')}`);
  return {
    sets,
    async evaluate(step, models, live) {
      const points: CurvePoint[] = [];
      const t0 = performance.now();
      const ledger = run.state.ledger ?? [];
      const rows = live ? [] : LossLog.read(path.join(runDir, 'log.csv')).map((r) => ({ step: r['step']!, seconds: r['step_s']! }));
      const training = live ? trainingOf(ledger) : trainingAt(rows, ledger, step);
      for (const m of models) points.push(await curvePoint(m.model, sets, { step, weights: m.weights, training, backend }));
      appendCurve(runDir, points);
      const usm = Object.entries(baselines.sets).map(([name, b]) => `${name} ${dB(b.usm.gain)}`).join(', ');
      say(`milestone ${step}: ${points.map(describePoint).join('; ')}; unsharp mask ${usm} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    },
  };
}

async function continueRun(runArg: string | undefined, o: ContinueCliOptions): Promise<void> {
  const runDir = runArg ?? CANONICAL_RUN;
  const recipeFile = path.join(runDir, RECIPE_FILE);
  const recipe = readRecipe(recipeFile);
  const plan = planOf(recipe, recipeFile);
  ensureData(recipe);
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
    const m = o.milestones ? await milestones(runDir, recipe, run, backend.backend) : undefined;
    /** The snapshot of the run as it stands at `step`, and its scores. */
    const takeMilestone = async (ms: Milestones, step: number): Promise<void> => {
      const snap = await run.snapshot(step);
      const averaged = run.trainer.averaging ? run.trainer.evaluationModel() : undefined;
      try {
        await ms.evaluate(step, [...(averaged ? [{ weights: 'ema' as const, model: averaged }] : []), { weights: 'raw' as const, model: run.model }], true);
      } finally {
        averaged?.dispose();
      }
      say(`snapshot: ${snap}`);
    };
    if (m) {
      for (const step of pendingSnapshots(runDir, recipe.milestones.every, readCurve(runDir))) {
        say(`milestone ${step} was never evaluated: scoring its snapshot`);
        const dir = snapshotDir(runDir, step);
        const models: Array<{ weights: CurvePoint['weights']; model: tf.LayersModel }> = [{ weights: 'raw', model: await loadModel(dir) }];
        if (fs.existsSync(path.join(dir, 'ema', 'model.json'))) models.unshift({ weights: 'ema', model: await loadModel(path.join(dir, 'ema')) });
        try {
          await m.evaluate(step, models, false);
        } finally {
          models.forEach((x) => x.model.dispose());
        }
      }
    }

    // A sitting stopped between its milestone checkpoint and the snapshot (a full disk there): the checkpoint holds that step's weights.
    const at = run.trainer.step;
    if (m && resuming && at > 0 && at % recipe.milestones.every === 0 && !fs.existsSync(snapshotDir(runDir, at)) && !readCurve(runDir).some((p) => p.step === at)) {
      say(`milestone ${at} has no snapshot: taking it from the checkpoint`);
      await takeMilestone(m, at);
    }

    if (run.trainer.step >= until) {
      say(`${runDir}: already at step ${run.trainer.step}${until < s.plannedSteps ? ` (asked to stop at ${until})` : ` of ${s.plannedSteps}`}; nothing to train`);
      return;
    }
    const split = await run.fitToMemory();
    if (split) say(split);

    // The budget counts from the command's start, so set-up and catch-up evaluations are inside it.
    const deadline = o.for !== undefined ? started + o.for * 1000 : undefined;
    const bar = progress('train', until);
    bar.update(run.trainer.step);
    const abort = new AbortController();
    const stopOnSigint = onSigint(abort);
    const from = run.trainer.step;
    try {
      const r = await run.train({
        until,
        ...(deadline !== undefined ? { deadline } : {}),
        signal: abort.signal,
        checkpointEvery: recipe.checkpointEvery,
        onStep: (rep) => bar.update(rep.step, `loss ${rep.loss.total.toFixed(4)} lr ${rep.lr.toExponential(1)} ${rep.stepSeconds.toFixed(2)} s/step`),
        onCheckpoint: async (_dir, step) => {
          if (m && step % recipe.milestones.every === 0) await takeMilestone(m, step);
        },
      });
      bar.stop();
      const total = summarizeLedger(run.state.ledger ?? []);
      const why = r.stoppedBy === 'deadline' ? 'time is up' : r.stoppedBy === 'signal' ? 'stopped' : 'done';
      say(
        `${why}: steps ${from} → ${r.step} of ${s.plannedSteps}; checkpoint ${r.checkpoint ?? '(none)'}. ` +
          `Ledger: ${total.steps} steps in ${total.segments} sittings, ${total.cpuHours.toFixed(2)} CPU hours, ${total.gpuMinutes.toFixed(1)} GPU minutes`,
      );
      if (recipe.keep === 'carry' && r.checkpoint) say(`carry-over for git: ${await run.writeCarry()} (step ${run.trainer.step}; ${RECIPE_FILE} says the checkpoint itself stays on this machine)`);
      if (r.stoppedBy === 'signal') process.exitCode = 130;
    } catch (e) {
      bar.stop();
      if (!reportedDivergence(e)) throw e;
    } finally {
      stopOnSigint();
    }
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
