import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { GOPRO_BLURS, type GoProBlur } from '../data/gopro';
import { parseLayout } from '../data/open-dataset';
import { DEFAULT_CROP } from '../data/pipeline';
import { UsageError } from '../errors';
import { LOSS_FORMS, type LossForm } from '../loss';
import { VARIANT_NAMES } from '../model/config';
import { readTrainingState } from '../train/checkpoint';
import { readRecipe, recipeFile, recipeOf, writeRecipe, type Recipe } from '../train/recipe';
import { hasCheckpoint, planOfState, SNAPSHOTS, TrainingRun, type Mismatch, type PlanByPairs } from '../train/run';
import { trainSitting } from '../train/sitting';
import { describeSchedule, SCHEDULE_KINDS, type Schedule } from '../train/schedule';
import { chooseConfig } from './model-options';
import { nonNegativeInt, positiveInt, startBackendOption } from './options';
import { runSitting } from './sitting';

interface TrainCliOptions {
  data?: string;
  layout?: string;
  blur: string;
  variant?: string;
  config?: string;
  out: string;
  steps?: number;
  epochs?: number;
  batch: number;
  crop: number;
  flip: boolean;
  seed: number;
  schedule: string;
  lr: number;
  lrFinal: number;
  lrEvery?: number;
  warmup?: number;
  loss: string;
  checkpointEvery: number;
  snapshotEvery?: number;
  resume?: boolean;
  backend?: string;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError('must be a positive number.');
  return n;
}


/** Options the user typed (not commander's defaults): on --resume these must agree with the checkpoint. */
function given(cmd: Command, name: string): boolean {
  return cmd.getOptionValueSource(name) === 'cli';
}

/** The --schedule the user asked for, over a run of `steps`. */
function scheduleFrom(o: TrainCliOptions, steps: number): Schedule {
  const warmup = o.warmup ? { warmup: o.warmup } : {};
  switch (o.schedule) {
    case 'cosine':
      return { kind: 'cosine', initial: o.lr, final: o.lrFinal, total: steps, ...warmup };
    case 'step':
      return { kind: 'step', initial: o.lr, every: o.lrEvery ?? Math.max(1, Math.round(steps / 6)), factor: 0.5, ...warmup };
    case 'constant':
      return { kind: 'constant', initial: o.lr, ...warmup };
    default:
      throw new UsageError(`--schedule must be one of ${SCHEDULE_KINDS.join(', ')} (got ${o.schedule})`);
  }
}

/** A new run's plan from the command line; its length may be in epochs, so it is made once the pairs are counted. */
function planFrom(o: TrainCliOptions, dataDir: string): PlanByPairs {
  const { config, variant } = chooseConfig(o);
  if (!(LOSS_FORMS as readonly string[]).includes(o.loss)) throw new UsageError(`--loss must be ${LOSS_FORMS.join(' or ')} (got ${o.loss})`);
  if (o.schedule === 'cosine' && o.lrFinal > o.lr) throw new UsageError(`--lr-final ${o.lrFinal} exceeds --lr ${o.lr}`);
  const data = { root: dataDir, blur: o.blur as GoProBlur, ...(o.layout ? { layout: parseLayout(o.layout) } : {}) };
  return {
    data,
    make: (pairs) => {
      const steps = o.steps ?? o.epochs! * Math.ceil(pairs / o.batch);
      return {
        data,
        network: { config, ...(variant ? { variant } : {}) },
        steps,
        pipeline: { batch: o.batch, crop: o.crop, flip: o.flip, seed: o.seed },
        schedule: scheduleFrom(o, steps),
        ...(o.loss !== 'paper' ? { loss: o.loss as LossForm } : {}),
      };
    },
  };
}

/** The command line's words for a resume request that differs from the checkpoint. */
function refuseResume(ms: Mismatch[]): never {
  const m = ms[0]!;
  switch (m.field) {
    case 'data':
      throw new UsageError(`--resume: ${m.asked} is not the data the checkpoint was trained on (${m.stored})`);
    case 'network':
      throw new UsageError(`--resume: the checkpoint is a different network from the one asked for (checkpoint vs asked: ${m.asked})`);
    case 'steps':
      throw new UsageError(`--resume: the checkpoint's cosine schedule anneals over ${m.stored} steps; a run of ${m.asked} would change it (resume without --steps/--epochs)`);
    default:
      throw new UsageError(`--resume: --${m.field} ${m.asked} differs from the checkpoint's ${m.stored}`);
  }
}

async function train(o: TrainCliOptions, cmd: Command): Promise<void> {
  if (o.steps !== undefined && o.epochs !== undefined) throw new UsageError('give --steps or --epochs, not both');
  if (!(GOPRO_BLURS as readonly string[]).includes(o.blur)) throw new UsageError(`--blur must be ${GOPRO_BLURS.join(' or ')} (got ${o.blur})`);
  const previous = o.resume && hasCheckpoint(o.out) ? readTrainingState(o.out) : undefined;
  if (o.resume) {
    const fixed = ['schedule', 'lr', 'lrFinal', 'lrEvery', 'warmup', 'loss', 'layout', 'blur'].filter((n) => given(cmd, n));
    if (fixed.length && previous) {
      const flag = (n: string): string => `--${n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new UsageError(`--resume continues the checkpoint's own schedule and data: drop ${fixed.map(flag).join(', ')}`);
    }
  } else if (o.steps === undefined && o.epochs === undefined) {
    if (!hasCheckpoint(o.out)) throw new UsageError('give the run length: --steps N or --epochs E');
  }
  if (!o.resume && !o.data && !hasCheckpoint(o.out)) throw new UsageError('--data is required: a dataset folder (GoPro, RealBlur or blur/ + sharp/ layout)');
  const asked = previous ? (o.steps ?? (o.epochs !== undefined ? o.epochs * Math.ceil(previous.data.pairs / previous.pipeline.batch) : undefined)) : undefined;
  const plan = o.resume ? undefined : planFrom(o, o.data ?? '');
  const backend = await startBackendOption(o.backend);
  const run = await TrainingRun.open({
    out: o.out,
    ...(plan ? { plan } : {}),
    expect: {
      ...(o.data !== undefined ? { dataRoot: o.data } : {}),
      ...(o.variant !== undefined || o.config !== undefined ? { config: chooseConfig(o).config } : {}),
      pipeline: Object.fromEntries((['batch', 'crop', 'seed', 'flip'] as const).filter((n) => given(cmd, n)).map((n) => [n, o[n]])),
      ...(asked !== undefined ? { steps: asked } : {}),
    },
    refuse: refuseResume,
    backend,
  });
  try {
    const recipe = recipeOfRun(run, o);
    const s = run.state;
    if (run.resumed && run.trainer.step >= s.plannedSteps) {
      console.log(`${o.out}: already trained ${run.trainer.step} of ${s.plannedSteps} steps; nothing to do`);
      return;
    }
    const start = run.startStep;
    console.log(
      `${run.resumed ? `resuming ${o.out} at step ${start}` : `training into ${o.out}`}: ${s.variant ?? 'custom config'} (C=${s.config.channels}, N=${s.config.blocks}, ${s.config.block}/${s.config.skip}), ` +
        `${run.data.description} (${run.data.pairs} pairs), batch ${s.pipeline.batch} × ${s.pipeline.crop}², ${describeSchedule(s.schedule)}${s.loss ? `, ${s.loss} loss` : ''}, ${s.plannedSteps} steps`,
    );
    const began = performance.now();
    const r = await runSitting(
      { from: start, until: s.plannedSteps, stepLine: (rep) => `loss ${rep.loss.total.toFixed(4)} lr ${rep.lr.toExponential(1)} ${rep.imagesPerSecond.toFixed(2)} img/s epoch ${rep.epoch}` },
      (signal, onStep) =>
        trainSitting(run, recipe, {
          backend: backend.backend,
          signal,
          onStep,
          ...(given(cmd, 'checkpointEvery') ? { checkpointEvery: o.checkpointEvery } : {}),
          ...(o.snapshotEvery ? { snapshotEvery: o.snapshotEvery } : {}),
        }),
    );
    if (r === 'diverged' || !r) return;
    const secs = (performance.now() - began) / 1000;
    const done = r.step - start;
    console.log(
      `${r.stoppedBy === 'signal' ? 'stopped' : 'done'}: steps ${start} → ${r.step} of ${s.plannedSteps} in ${secs.toFixed(0)} s` +
        `${done > 0 ? ` (${((done * s.pipeline.batch) / secs).toFixed(2)} img/s)` : ''}; last loss ${s.lastLoss?.total.toFixed(4) ?? '–'}`,
    );
    console.log(`checkpoint: ${r.checkpoint ?? '(none)'}; loss log: ${run.logFile}; recipe: ${recipeFile(o.out)} (\`deblur-lab continue ${o.out}\` continues it)`);
  } finally {
    run.dispose();
  }
}

/**
 * The run's one description: a new run's recipe is written from the flags; a resumed run keeps its
 * own (its length updated where a schedule without an end allowed a new one), and a run begun
 * before recipes existed gets one from its checkpoint.
 */
function recipeOfRun(run: TrainingRun, o: TrainCliOptions): Recipe {
  const file = recipeFile(o.out);
  const kept = run.resumed && fs.existsSync(file) ? readRecipe(file) : undefined;
  if (kept && kept.steps === run.state.plannedSteps) return kept;
  const recipe = kept
    ? { ...kept, steps: run.state.plannedSteps }
    : recipeOf(path.basename(path.resolve(o.out)), planOfState(run.state), {
        checkpointEvery: o.checkpointEvery,
        ...(o.snapshotEvery ? { snapshotEvery: o.snapshotEvery } : {}),
      });
  writeRecipe(o.out, recipe);
  return recipe;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a network on a dataset, with checkpoints (atomic, resumable) and a loss log in --out')
    .option('--data <dir>', 'dataset folder: GoPro, RealBlur or blur/ + sharp/ layout (its train split); on --resume, default: the checkpoint\'s')
    .option('--layout <name>', 'gopro, realblur or pairs (default: detected)')
    .option('--blur <kind>', 'GoPro only: blur or blur_gamma', 'blur')
    .option('--variant <name>', `network: one of ${VARIANT_NAMES.join(', ')} (default full)`)
    .option('--config <file>', 'network from a JSON file: a (partial) NetConfig over "variant"')
    .requiredOption('--out <dir>', 'run folder: checkpoint/ and log.csv go here')
    .option('--steps <n>', 'run length in optimiser steps', positiveInt)
    .option('--epochs <n>', 'run length in epochs (every training pair once per epoch)', positiveInt)
    .option('--batch <n>', 'images per step', positiveInt, 4)
    .option('--crop <px>', 'square crop side, a multiple of 4', positiveInt, DEFAULT_CROP)
    .option('--no-flip', 'no random left–right flips')
    .option('--seed <n>', 'seed of the initial weights and of every crop, flip and order', nonNegativeInt, 0)
    .option('--schedule <kind>', `learning-rate schedule: ${SCHEDULE_KINDS.join(', ')}`, 'cosine')
    .option('--lr <x>', 'initial learning rate', positiveNumber, 1e-4)
    .option('--lr-final <x>', 'cosine: final learning rate', positiveNumber, 1e-6)
    .option('--lr-every <n>', 'step: halve every n steps (default: a sixth of the run, like MIMO-UNet)', positiveInt)
    .option('--warmup <n>', 'ramp the learning rate up linearly over the first n steps', nonNegativeInt)
    .option('--loss <form>', `what the optimiser minimises: paper (the batch's mean loss), log-per-image (the mean of each image's log loss, so nearly sharp pairs count) or relative (each image's loss over its input's own, so harm to a sharp input costs)`, 'paper')
    .option('--checkpoint-every <n>', 'write a checkpoint every n steps (and at the end)', positiveInt, 100)
    .option('--snapshot-every <n>', `also keep the weights every n steps in OUT/${SNAPSHOTS}/step-NNNNNN/ (for learning curves)`, positiveInt)
    .option('--resume', 'continue the checkpoint in --out exactly where it stopped')
    .option('--backend <name>', 'auto, tensorflow, webgpu, wasm or cpu (default: $DEBLUR_BACKEND or auto)')
    .action(train);
}
