import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { describeProblems } from '../data/dataset';
import { GOPRO_BLURS, type GoProBlur } from '../data/gopro';
import { openDataset, parseLayout } from '../data/open-dataset';
import { DEFAULT_CROP, TrainingPipeline } from '../data/pipeline';
import { UsageError } from '../errors';
import { VARIANT_NAMES } from '../model/config';
import { saveModel } from '../model/io';
import { buildNet } from '../model/net';
import { CHECKPOINT, readCheckpoint, readTrainingState, type DataDescription, type TrainingState } from '../train/checkpoint';
import { LossLog } from '../train/loss-log';
import { assertTrainingFits } from '../train/memory';
import { describeSchedule, SCHEDULE_KINDS, type Schedule } from '../train/schedule';
import { describeData, Trainer, TrainingDiverged } from '../train/trainer';
import { configDifference, chooseConfig } from './model-options';
import { nonNegativeInt, positiveInt, startBackendOption } from './options';
import { progress } from './progress';

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

export const LOG_FILE = 'log.csv';
/** `--snapshot-every`: weights (no optimiser state) kept at those steps, for learning curves. */
export const SNAPSHOTS = 'snapshots';

/** The folder of the snapshot taken after `step` steps. */
export function snapshotDir(out: string, step: number): string {
  return path.join(out, SNAPSHOTS, `step-${String(step).padStart(6, '0')}`);
}

/** Options the user typed (not commander's defaults): on --resume these must agree with the checkpoint. */
function given(cmd: Command, name: string): boolean {
  return cmd.getOptionValueSource(name) === 'cli';
}

/** The --schedule the user asked for, over a run of `steps`. */
function scheduleFrom(o: TrainCliOptions, steps: number): Schedule {
  switch (o.schedule) {
    case 'cosine':
      return { kind: 'cosine', initial: o.lr, final: o.lrFinal, total: steps };
    case 'step':
      return { kind: 'step', initial: o.lr, every: o.lrEvery ?? Math.max(1, Math.round(steps / 6)), factor: 0.5 };
    case 'constant':
      return { kind: 'constant', initial: o.lr };
    default:
      throw new UsageError(`--schedule must be one of ${SCHEDULE_KINDS.join(', ')} (got ${o.schedule})`);
  }
}

/** Every setting that shapes a run must match the checkpoint's, or --resume would not continue it. */
function assertContinues(previous: TrainingState, o: TrainCliOptions, cmd: Command, data: DataDescription, dataDir: string): void {
  if (data.fingerprint !== previous.data.fingerprint) {
    throw new UsageError(`--resume: ${dataDir} (${data.pairs} pairs) is not the data the checkpoint was trained on (${previous.data.root}, ${previous.data.pairs} pairs)`);
  }
  if (o.variant !== undefined || o.config !== undefined) {
    const asked = chooseConfig(o);
    const diff = configDifference(previous.config, asked.config);
    if (diff) throw new UsageError(`--resume: the checkpoint is a different network from the one asked for (checkpoint vs asked: ${diff})`);
  }
  const fixed = ['schedule', 'lr', 'lrFinal', 'lrEvery', 'layout', 'blur'].filter((n) => given(cmd, n));
  if (fixed.length) {
    const flag = (n: string): string => `--${n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new UsageError(`--resume continues the checkpoint's own schedule and data: drop ${fixed.map(flag).join(', ')}`);
  }
  const p = previous.pipeline;
  for (const [name, value, stored] of [['batch', o.batch, p.batch], ['crop', o.crop, p.crop], ['seed', o.seed, p.seed], ['flip', o.flip, p.flip]] as const) {
    if (given(cmd, name) && value !== stored) throw new UsageError(`--resume: --${name} ${String(value)} differs from the checkpoint's ${String(stored)}`);
  }
}

async function train(o: TrainCliOptions, cmd: Command): Promise<void> {
  if (o.steps !== undefined && o.epochs !== undefined) throw new UsageError('give --steps or --epochs, not both');
  if (!(GOPRO_BLURS as readonly string[]).includes(o.blur)) throw new UsageError(`--blur must be ${GOPRO_BLURS.join(' or ')} (got ${o.blur})`);
  const hasCheckpoint = fs.existsSync(o.out) && fs.readdirSync(o.out).some((n) => n.startsWith(CHECKPOINT));
  const previous = o.resume ? readTrainingState(o.out) : undefined;
  if (o.resume && !previous) {
    if (hasCheckpoint) await readCheckpoint(o.out); // throws, saying what is wrong with it
    throw new UsageError(`--resume: ${o.out} holds no checkpoint to resume (start a new run without --resume)`);
  }
  if (!o.resume && hasCheckpoint) {
    throw new UsageError(`${o.out} already holds a checkpoint: pass --resume to continue it, or choose a new --out (nothing was changed)`);
  }
  const dataDir = o.data ?? previous?.data.root;
  if (!dataDir) throw new UsageError('--data is required: a dataset folder (GoPro, RealBlur or blur/ + sharp/ layout)');
  // A resumed run reopens its data exactly as it was first opened.
  const layout = previous?.data.layout ?? (o.layout ? parseLayout(o.layout) : undefined);
  const blur = previous?.data.blur ?? (o.blur as GoProBlur);
  const dataset = await openDataset(dataDir, { split: 'train', blur, ...(layout ? { layout } : {}) });
  if (dataset.problems.length) process.stderr.write(`warning: ${describeProblems(dataset.problems, 3)}; training on the ${dataset.pairs.length} good pairs\n`);
  const data = describeData(dataset, blur);

  if (previous) assertContinues(previous, o, cmd, data, dataDir);

  const { backend, device } = await startBackendOption(o.backend);
  const settings = previous?.pipeline ?? { seed: o.seed, batch: o.batch, crop: o.crop, flip: o.flip };
  const pipeline = new TrainingPipeline(dataset.pairs, settings);
  const asked = o.steps ?? (o.epochs !== undefined ? o.epochs * pipeline.batchesPerEpoch : undefined);

  let trainer: Trainer;
  if (previous) {
    if (asked !== undefined && asked !== previous.plannedSteps && previous.schedule.kind === 'cosine') {
      throw new UsageError(`--resume: the checkpoint's cosine schedule anneals over ${previous.plannedSteps} steps; a run of ${asked} would change it (resume without --steps/--epochs)`);
    }
    trainer = await Trainer.resume(await readCheckpoint(o.out), pipeline);
    if (asked !== undefined) trainer.state.plannedSteps = asked;
    trainer.state.device = device;
    if (trainer.step >= trainer.state.plannedSteps) {
      console.log(`${o.out}: already trained ${trainer.step} of ${trainer.state.plannedSteps} steps; nothing to do`);
      trainer.dispose();
      return;
    }
  } else {
    if (asked === undefined) throw new UsageError('give the run length: --steps N or --epochs E');
    const { config, variant } = chooseConfig(o);
    const schedule = scheduleFrom(o, asked);
    if (schedule.kind === 'cosine' && o.lrFinal > o.lr) throw new UsageError(`--lr-final ${o.lrFinal} exceeds --lr ${o.lr}`);
    const model = buildNet(config, { seed: o.seed, ...(variant ? { name: `deblur_${variant}` } : {}) });
    trainer = Trainer.create(model, pipeline, { steps: asked, schedule, data, initSeed: o.seed, backend, device, ...(variant ? { variant } : {}) });
  }

  const s = trainer.state;
  if (backend === 'wasm') {
    try {
      await assertTrainingFits(trainer.model, s.pipeline.batch, s.pipeline.crop, s.variant ?? 'this network');
    } catch (e) {
      trainer.dispose();
      throw e;
    }
  }
  fs.mkdirSync(o.out, { recursive: true });
  const start = trainer.step;
  console.log(
    `${previous ? `resuming ${o.out} at step ${start}` : `training into ${o.out}`}: ${s.variant ?? 'custom config'} (C=${s.config.channels}, N=${s.config.blocks}, ${s.config.block}/${s.config.skip}), ` +
      `${data.description} (${data.pairs} pairs), batch ${s.pipeline.batch} × ${s.pipeline.crop}², ${describeSchedule(s.schedule)}, ${s.plannedSteps} steps`,
  );
  const log = LossLog.open(path.join(o.out, LOG_FILE), start);
  const bar = progress('train', s.plannedSteps);
  bar.update(start);
  const abort = new AbortController();
  let firstSigint = 0;
  const onSigint = (): void => {
    // Under `npm run`, one Ctrl-C arrives twice (from the terminal and forwarded by npm): only a
    // second press a moment later quits at once. The last checkpoint is intact either way.
    if (abort.signal.aborted) {
      if (performance.now() - firstSigint > 1000) process.exit(130);
      return;
    }
    firstSigint = performance.now();
    abort.abort();
    process.stderr.write('\nstopping after this step and writing a checkpoint (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onSigint);
  const began = performance.now();
  try {
    const r = await trainer.run({
      out: o.out,
      checkpointEvery: o.checkpointEvery,
      signal: abort.signal,
      onStep: async (rep) => {
        if (o.snapshotEvery && rep.step % o.snapshotEvery === 0) {
          const dir = snapshotDir(o.out, rep.step);
          // Written beside its name and renamed: a snapshot folder is complete or absent.
          fs.rmSync(`${dir}.tmp`, { recursive: true, force: true });
          await saveModel(trainer.model, `${dir}.tmp`);
          fs.rmSync(dir, { recursive: true, force: true });
          fs.renameSync(`${dir}.tmp`, dir);
        }
        log.append(rep);
        bar.update(rep.step, `loss ${rep.loss.total.toFixed(4)} lr ${rep.lr.toExponential(1)} ${rep.imagesPerSecond.toFixed(2)} img/s epoch ${rep.epoch}`);
      },
    });
    bar.stop();
    const secs = (performance.now() - began) / 1000;
    const done = r.step - start;
    console.log(
      `${r.stoppedBy === 'signal' ? 'stopped' : 'done'}: steps ${start} → ${r.step} of ${s.plannedSteps} in ${secs.toFixed(0)} s` +
        `${done > 0 ? ` (${((done * s.pipeline.batch) / secs).toFixed(2)} img/s)` : ''}; last loss ${s.lastLoss?.total.toFixed(4) ?? '–'}`,
    );
    console.log(`checkpoint: ${r.checkpoint ?? '(none)'}; loss log: ${log.file}`);
    if (r.stoppedBy === 'signal') process.exitCode = 130;
  } catch (e) {
    bar.stop();
    if (e instanceof TrainingDiverged) {
      process.stderr.write(`deblur-lab: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
    trainer.dispose();
  }
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
    .option('--checkpoint-every <n>', 'write a checkpoint every n steps (and at the end)', positiveInt, 100)
    .option('--snapshot-every <n>', `also keep the weights every n steps in OUT/${SNAPSHOTS}/step-NNNNNN/ (for learning curves)`, positiveInt)
    .option('--resume', 'continue the checkpoint in --out exactly where it stopped')
    .option('--backend <name>', 'auto, tensorflow, webgpu, wasm or cpu (default: $DEBLUR_BACKEND or auto)')
    .action(train);
}
