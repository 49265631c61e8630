import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { describeProblems, type Layout } from '../data/dataset';
import type { GoProBlur } from '../data/gopro';
import { openDataset } from '../data/open-dataset';
import { TrainingPipeline } from '../data/pipeline';
import { describeWriteFault, isWriteFault, UsageError, WriteError } from '../errors';
import { configDifference, isVariantName, type NetConfig, type VariantName } from '../model/config';
import { saveModel } from '../model/io';
import { growInto } from '../model/grow';
import { buildNet } from '../model/net';
import { loadWeights } from '../infer/weights';
import type { LossForm } from '../loss';
import { Rng } from '../random';
import { CHECKPOINT, findCheckpoint, readCheckpoint, readTrainingState, trainingStateNear, type DataDescription, type RunInit, type TrainingState } from './checkpoint';
import { generatorsOfData, reweighGenerators, trainedOnOf } from './provenance';
import { hasCarry, readCarry, readCarryState, writeCarry } from './carry';
import { replaceFolder } from './folder-swap';
import { newestSnapshot, readSnapshotRestart } from './restart';
import { LOCK_FILE, takeLock } from './lock';
import { LossLog } from './loss-log';
import { planTrainingStep } from './memory';
import { validateSchedule, type Schedule } from './schedule';
import { describeData, Trainer, type RunResult, type StepReport } from './trainer';

/**
 * A training run's life-cycle, in one place for every caller (the `train` and `continue` commands,
 * notebook 04): what fixes a run (its plan), the rules for resuming it, its folder (checkpoint,
 * loss log, snapshots), its ledger of sittings, and stopping on a signal or a deadline.
 */

/** Everything that fixes a run: a new run starts from it, a resumed one must agree with it. */
export interface RunPlan {
  /** `exclude`: generators whose pairs (synth.json) are left out of training; `repeat`: copies of each pair of these generators per epoch. */
  data: { root: string; layout?: Layout; blur: GoProBlur; exclude?: string[]; repeat?: Record<string, number> };
  network: { config: NetConfig; variant?: VariantName };
  /** Planned length in optimiser steps (a cosine schedule anneals over exactly this). */
  steps: number;
  pipeline: { batch: number; crop: number; flip: boolean; seed: number };
  schedule: Schedule;
  /** Keep a moving average of the weights with this decay (evaluated and shipped instead of the last step's). */
  ema?: { decay: number };
  /**
   * Start from other weights instead of the seed's: 'copy' (the same network, e.g. to fine-tune on
   * other data) or 'grow' (a wider and deeper network that computes what they compute: model/grow.ts).
   */
  init?: { weights: string; how: 'copy' | 'grow' };
  /** What the optimiser minimises (default the paper's batch mean): see LossForm. */
  loss?: LossForm;
}

/** The plan a run's state carries (for a run begun before recipes were written: recipe.ts). */
export function planOfState(s: TrainingState): RunPlan {
  const d = s.data;
  return {
    data: { root: d.root, layout: d.layout, blur: d.blur ?? 'blur', ...(d.exclude?.length ? { exclude: d.exclude } : {}), ...(d.repeat ? { repeat: d.repeat } : {}) },
    network: { config: s.config, ...(s.variant && isVariantName(s.variant) ? { variant: s.variant } : {}) },
    steps: s.plannedSteps,
    pipeline: { ...s.pipeline },
    schedule: s.schedule,
    ...(s.ema ? { ema: { decay: s.ema.decay } } : {}),
    ...(s.init ? { init: { weights: s.init.weights, how: s.init.how } } : {}),
    ...(s.loss && s.loss !== 'paper' ? { loss: s.loss } : {}),
  };
}

export const LOG_FILE = 'log.csv';
/** Weights kept at fixed steps (no optimiser state), for learning curves. */
export const SNAPSHOTS = 'snapshots';

/** The folder of the snapshot taken after `step` steps. */
export function snapshotDir(out: string, step: number): string {
  return path.join(out, SNAPSHOTS, `step-${String(step).padStart(6, '0')}`);
}

export function hasCheckpoint(out: string): boolean {
  return fs.existsSync(out) && fs.readdirSync(out).some((n) => n.startsWith(CHECKPOINT));
}

/** Whether `out` holds a run to resume: a checkpoint, or only a carry-over (carry.ts) from git. */
export function resumable(out: string): boolean {
  return hasCheckpoint(out) || hasCarry(out);
}

/** What a resumed run is asked to be; each field given must match the checkpoint. */
export interface ResumeExpectation {
  data?: DataDescription;
  config?: NetConfig;
  pipeline?: Partial<RunPlan['pipeline']>;
  steps?: number;
  schedule?: Schedule;
  loss?: LossForm;
}

/** How a run shifts its data's mixture: generators left out, and copies per epoch of others' pairs. */
export interface DataMix {
  exclude?: string[];
  repeat?: Record<string, number>;
}

/** The mixture's settings that change anything (empty lists and single copies dropped), in a fixed order. */
export function mixOf(d: DataMix): DataMix {
  const repeat = Object.fromEntries(Object.entries(d.repeat ?? {}).filter(([, k]) => k !== 1).sort(([a], [b]) => a.localeCompare(b)));
  return { ...(d.exclude?.length ? { exclude: [...d.exclude] } : {}), ...(Object.keys(repeat).length ? { repeat } : {}) };
}

function describeMix(m: DataMix): string {
  const parts = [...(m.exclude ? [`leaving out ${m.exclude.join(', ')}`] : []), ...Object.entries(m.repeat ?? {}).map(([n, k]) => `${n} ×${k}`)];
  return parts.length ? parts.join(', ') : 'the mixture as built';
}

/** One way a resume request differs from the checkpoint. */
export interface Mismatch {
  field: 'data' | 'network' | 'batch' | 'crop' | 'flip' | 'seed' | 'steps' | 'schedule' | 'loss';
  asked: string;
  stored: string;
}

/**
 * How `asked` differs from the checkpoint's state: a resumed run continues exactly, so the data,
 * the network, every pipeline setting and the schedule must be the checkpoint's. A new length is
 * allowed except for a cosine schedule, whose annealing it would change.
 */
export function resumeMismatches(previous: TrainingState, asked: ResumeExpectation): Mismatch[] {
  const out: Mismatch[] = [];
  if (asked.data && asked.data.fingerprint !== previous.data.fingerprint) {
    out.push({ field: 'data', asked: `${asked.data.root} (${asked.data.pairs} pairs)`, stored: `${previous.data.root} (${previous.data.pairs} pairs)` });
  }
  if (asked.config) {
    const diff = configDifference(previous.config, asked.config);
    if (diff) out.push({ field: 'network', asked: diff, stored: '' });
  }
  const p = previous.pipeline;
  for (const name of ['batch', 'crop', 'seed', 'flip'] as const) {
    const v = asked.pipeline?.[name];
    if (v !== undefined && v !== p[name]) out.push({ field: name, asked: String(v), stored: String(p[name]) });
  }
  if (asked.schedule && JSON.stringify(normalSchedule(asked.schedule)) !== JSON.stringify(normalSchedule(previous.schedule))) {
    out.push({ field: 'schedule', asked: JSON.stringify(asked.schedule), stored: JSON.stringify(previous.schedule) });
  }
  if (asked.loss !== undefined && asked.loss !== (previous.loss ?? 'paper')) out.push({ field: 'loss', asked: asked.loss, stored: previous.loss ?? 'paper' });
  if (asked.steps !== undefined && asked.steps !== previous.plannedSteps && previous.schedule.kind === 'cosine') {
    out.push({ field: 'steps', asked: String(asked.steps), stored: String(previous.plannedSteps) });
  }
  return out;
}

/** A schedule with its optional fields made explicit, for comparing two. */
function normalSchedule(s: Schedule): Schedule {
  return { ...s, warmup: s.warmup ?? 0 };
}

/** A plan whose length depends on how many training pairs the data holds (runs given in epochs). */
export interface PlanByPairs {
  data: RunPlan['data'];
  make(pairs: number): RunPlan;
}

export interface OpenRunOptions {
  out: string;
  /** A new run's plan (or its data and a maker, for lengths in epochs); omitted to resume the checkpoint in `out`. */
  plan?: RunPlan | PlanByPairs;
  /** When resuming: what the caller asked for, checked against the checkpoint (see resumeMismatches). */
  expect?: Omit<ResumeExpectation, 'data'> & { dataRoot?: string; dataMix?: DataMix };
  /** Describes what a mismatch means to the caller (e.g. names the command-line flag); default: plain words. */
  refuse?: (m: Mismatch[]) => never;
  backend: { backend: string; device: string };
  /** Where warnings go (default stderr). */
  warn?: (line: string) => void;
  /** When the newest checkpoint is damaged and no older one is whole: restart from the newest snapshot (restart.ts) instead of refusing. */
  fromSnapshot?: boolean;
}

/** One run folder, open for training: its trainer (which owns the network), data and loss log. */
export class TrainingRun {
  private constructor(
    readonly out: string,
    readonly trainer: Trainer,
    readonly data: DataDescription,
    /** The step this sitting started at (0 for a new run). */
    readonly startStep: number,
    readonly resumed: boolean,
    /** Releases the run folder's lock (lock.ts): one process trains a run at a time. */
    private readonly unlock: () => void,
  ) {}

  /**
   * Starts a new run in `out` (refused if it already holds a checkpoint) or resumes the one there
   * (refused if there is none, or if the asked settings differ from it). Opens the data the
   * checkpoint names, in the layout and blur it was first opened with.
   */
  static async open(o: OpenRunOptions): Promise<TrainingRun> {
    const warn = o.warn ?? ((l: string) => process.stderr.write(`${l}\n`));
    const made = !fs.existsSync(o.out);
    const unlock = takeLock(path.join(o.out, LOCK_FILE), `the run ${o.out}`, warn);
    try {
      return await TrainingRun.openLocked(o, warn, unlock);
    } catch (e) {
      unlock();
      if (made && fs.existsSync(o.out) && fs.readdirSync(o.out).length === 0) fs.rmdirSync(o.out);
      throw e;
    }
  }

  private static async openLocked(o: OpenRunOptions, warn: (line: string) => void, unlock: () => void): Promise<TrainingRun> {
    const exists = hasCheckpoint(o.out);
    if (o.plan && resumable(o.out)) throw new UsageError(`${o.out} already holds a checkpoint: pass --resume to continue it, or choose a new --out (nothing was changed)`);
    const whole = exists && findCheckpoint(o.out) !== undefined;
    const carried = !exists && hasCarry(o.out);
    // A damaged newest checkpoint with no older whole one: say so, and offer the newest snapshot.
    const fromSnapshot = !o.plan && exists && !whole;
    if (fromSnapshot && !o.fromSnapshot) {
      const snap = newestSnapshot(o.out);
      const damage = await readCheckpoint(o.out).then(() => '', (e: unknown) => (e as Error).message);
      throw new UsageError(`${damage}${snap ? `; its newest whole snapshot is ${snap.dir} (step ${snap.step}): --from-snapshot restarts the run there, Adam's moments from zero` : '; it has no snapshot to restart from'}`);
    }
    const snapshot = fromSnapshot ? await readSnapshotRestart(o.out) : undefined;
    const previous = o.plan ? undefined : snapshot ? snapshot.state : carried ? readCarryState(o.out) : readTrainingState(o.out);
    if (!o.plan && !previous) throw new UsageError(`--resume: ${o.out} holds no checkpoint to resume (start a new run without --resume)`);
    const root = o.expect?.dataRoot ?? previous?.data.root ?? o.plan?.data.root;
    if (!root) throw new UsageError('--data is required: a dataset folder (GoPro, RealBlur or blur/ + sharp/ layout)');
    const layout = previous?.data.layout ?? o.plan?.data.layout;
    const blur = previous?.data.blur ?? o.plan?.data.blur ?? 'blur';
    const opened = await openDataset(root, { split: 'train', blur, ...(layout ? { layout } : {}) });
    if (opened.problems.length) warn(`warning: ${describeProblems(opened.problems, 3)}; training on the ${opened.pairs.length} good pairs`);
    const source = previous ? previous.data : o.plan!.data;
    const mix = mixOf(source);
    const dataset = mix.exclude || mix.repeat ? reweighGenerators(opened, mix) : opened;
    const data = { ...describeData(dataset, blur), ...mix };
    if (previous && o.expect?.dataMix !== undefined && describeMix(mixOf(o.expect.dataMix)) !== describeMix(mix)) {
      (o.refuse ?? refuseInWords)([{ field: 'data', asked: describeMix(mixOf(o.expect.dataMix)), stored: describeMix(mix) }]);
    }

    if (previous) {
      const mismatches = resumeMismatches(previous, { data, ...o.expect });
      if (mismatches.length) (o.refuse ?? refuseInWords)(mismatches);
      const pipeline = new TrainingPipeline(dataset.pairs, previous.pipeline);
      if (carried) warn(`${o.out}: no checkpoint here, resuming from the carry-over at step ${previous.step} (the averaged weights in half precision; Adam's moments restart)`);
      if (snapshot) warn(`${o.out}: restarting from the snapshot at step ${previous.step} (its checkpoint is damaged; Adam's moments restart; the loss log and the ledger are cut back to step ${previous.step})`);
      const trainer = await Trainer.resume(snapshot ?? (carried ? readCarry(o.out) : await readCheckpoint(o.out)), pipeline);
      if (o.expect?.steps !== undefined) trainer.state.plannedSteps = o.expect.steps;
      trainer.state.backend = o.backend.backend;
      trainer.state.device = o.backend.device;
      return new TrainingRun(o.out, trainer, data, trainer.step, true, unlock);
    }
    const plan = 'make' in o.plan! ? o.plan.make(dataset.pairs.length) : o.plan!;
    validateSchedule(plan.schedule);
    const pipeline = new TrainingPipeline(dataset.pairs, plan.pipeline);
    const model = buildNet(plan.network.config, { seed: plan.pipeline.seed, ...(plan.network.variant ? { name: `deblur_${plan.network.variant}` } : {}) });
    let init: RunInit | undefined;
    try {
      init = plan.init ? await initialiseFrom(model, plan.network.config, plan.init, plan.pipeline.seed) : undefined;
    } catch (e) {
      model.dispose();
      throw e;
    }
    const generators = generatorsOfData(root)?.filter((g) => !mix.exclude?.includes(g));
    const trainer = Trainer.create(model, pipeline, {
      ...(generators ? { generators } : {}),
      ...(init ? { init } : {}),
      steps: plan.steps,
      schedule: plan.schedule,
      ...(plan.loss ? { lossForm: plan.loss } : {}),
      data,
      initSeed: plan.pipeline.seed,
      backend: o.backend.backend,
      device: o.backend.device,
      ...(plan.network.variant ? { variant: plan.network.variant } : {}),
    });
    if (plan.ema) trainer.averageWeights(plan.ema.decay);
    return new TrainingRun(o.out, trainer, data, 0, false, unlock);
  }

  get state(): TrainingState {
    return this.trainer.state;
  }

  get model(): tf.LayersModel {
    return this.trainer.model;
  }

  /**
   * Trains until `until` steps (default: the planned length), the deadline, or the signal, with a
   * checkpoint every `checkpointEvery` steps and at the end, one row per step in the loss log, and
   * snapshots every `snapshotEvery` steps. Opens this sitting's ledger segment.
   */
  async train(o: {
    until?: number;
    /** Stop (with a checkpoint) after the first step that ends at or after this time (performance.now() scale). */
    deadline?: number;
    signal?: AbortSignal;
    checkpointEvery?: number;
    snapshotEvery?: number;
    onStep?: (r: StepReport) => void | Promise<void>;
    onCheckpoint?: (dir: string, step: number) => void | Promise<void>;
  }): Promise<SittingResult> {
    fs.mkdirSync(this.out, { recursive: true });
    const log = LossLog.open(path.join(this.out, LOG_FILE), this.trainer.step);
    this.trainer.beginSegment(this.state.backend, this.state.device ?? 'not recorded');
    const stop = new AbortController();
    let byDeadline = false;
    const onAbort = (): void => stop.abort();
    o.signal?.addEventListener('abort', onAbort);
    if (o.signal?.aborted) stop.abort();
    try {
      const r = await this.trainer.run({
        out: this.out,
        ...(o.until !== undefined ? { until: o.until } : {}),
        ...(o.checkpointEvery !== undefined ? { checkpointEvery: o.checkpointEvery } : {}),
        signal: stop.signal,
        ...(o.onCheckpoint ? { onCheckpoint: o.onCheckpoint } : {}),
        onStep: async (rep) => {
          if (o.snapshotEvery && rep.step % o.snapshotEvery === 0) await this.snapshot(rep.step);
          log.append(rep);
          await o.onStep?.(rep);
          if (o.deadline !== undefined && performance.now() >= o.deadline && !stop.signal.aborted) {
            byDeadline = true;
            stop.abort();
          }
        },
      });
      return { ...r, stoppedBy: byDeadline && r.stoppedBy === 'signal' ? 'deadline' : r.stoppedBy };
    } catch (e) {
      throw writeFailure(e, this.out) ?? e;
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Writes the run's carry-over (carry.ts): what git keeps of a run whose checkpoints are too big to commit. */
  async writeCarry(): Promise<string> {
    const raw = this.trainer.weights.map((v) => v.dataSync() as Float32Array);
    const shapes = this.trainer.weights.map((v) => v.shape);
    const average = this.trainer.averageValues()?.map((v) => v.dataSync() as Float32Array);
    try {
      return await writeCarry(this.out, this.state, raw, shapes, average);
    } catch (e) {
      throw writeFailure(e, this.out) ?? e;
    }
  }

  /** Keeps the current weights (and the averaged ones, in `ema/`) at `snapshots/step-N/`, complete or absent. */
  async snapshot(step: number): Promise<string> {
    const dir = snapshotDir(this.out, step);
    try {
      return await replaceFolder(dir, `${dir}.tmp`, async (tmp) => {
        await saveModel(this.trainer.model, tmp);
        if (this.trainer.averaging) {
          const averaged = this.trainer.evaluationModel();
          try {
            await saveModel(averaged, path.join(tmp, 'ema'));
          } finally {
            averaged.dispose();
          }
        }
      });
    } catch (e) {
      throw writeFailure(e, this.out) ?? e;
    }
  }

  /**
   * On wasm, measures a probe step and splits the batch into the fewest micro-batches that fit
   * the heap (the accumulated gradient is the batch's); refuses, naming the crop that would fit,
   * when one image at a time does not. Returns a line describing a split, or undefined when the
   * batch runs whole.
   */
  async fitToMemory(): Promise<string | undefined> {
    const { batch, crop } = this.state.pipeline;
    const m = await planTrainingStep(this.model, batch, crop, this.state.variant ?? 'this network');
    this.trainer.microBatches = m?.count ?? 1;
    if (!m || m.count === 1) return undefined;
    return `a batch of ${batch} × ${crop}² needs about ${(m.whole.bytes / 2 ** 30).toFixed(1)} GiB of wasm heap at once (ceiling 4 GiB): each step accumulates the gradients of ${m.count} micro-batches of ${m.size}, which equal the batch's`;
  }

  get logFile(): string {
    return path.join(this.out, LOG_FILE);
  }

  dispose(): void {
    this.trainer.dispose();
    this.unlock();
  }
}

/**
 * Sets a new run's weights from other weights (a weights folder or a run's checkpoint): copied when
 * the networks are the same, grown (model/grow.ts) when asked and the target is wider and deeper.
 */
async function initialiseFrom(model: tf.LayersModel, cfg: NetConfig, init: NonNullable<RunPlan['init']>, seed: number): Promise<RunInit> {
  const source = await loadWeights(init.weights);
  try {
    const diff = configDifference(source.config, cfg);
    if (init.how === 'copy') {
      if (diff) throw new UsageError(`init: ${init.weights} is a different network (${diff}); to start a larger one from it, grow it ("how": "grow")`);
      model.setWeights(source.model.getWeights());
    } else {
      growInto(source.model, source.config, model, cfg, Rng.seeded(seed, 'grow'));
    }
    const state = trainingStateNear(init.weights);
    return {
      weights: init.weights,
      how: init.how,
      from: { config: source.config, ...(state?.variant ? { variant: state.variant } : {}), step: state?.step ?? null, generators: trainedOnOf(init.weights) },
    };
  } finally {
    source.model.dispose();
  }
}

/** File-system errors that are the machine's, not the program's: a full disk, a quota, a failing or read-only disk. */

/**
 * A write that failed for want of space (or a failing disk) while a sitting saved its work, as one
 * line: what could not be written, where, how much space is left, that the last whole checkpoint
 * is intact and how to go on. The half-written temporary files are removed first, so they do not
 * hold the space that was missing. Undefined for any other error.
 */
export function writeFailure(e: unknown, out: string): WriteError | undefined {
  if (!isWriteFault(e)) return undefined;
  const err = e;
  for (const name of fs.existsSync(out) ? fs.readdirSync(out) : []) {
    if (/\.tmp-\d+$/.test(name) || name.endsWith('.tmp')) fs.rmSync(path.join(out, name), { recursive: true, force: true });
  }
  const snaps = path.join(out, SNAPSHOTS);
  for (const name of fs.existsSync(snaps) ? fs.readdirSync(snaps) : []) if (name.endsWith('.tmp')) fs.rmSync(path.join(snaps, name), { recursive: true, force: true });
  const where = err.path ?? out;
  const what = /checkpoint/.test(where) ? 'the checkpoint' : where.endsWith(LOG_FILE) ? 'the loss log' : where.includes(SNAPSHOTS) ? 'a snapshot' : /carry/.test(where) ? 'the carry-over' : `${path.basename(where)}`;
  const last = readTrainingState(out) ?? readCarryState(out);
  const kept = last ? `the last whole checkpoint (step ${last.step}) is intact` : 'no checkpoint was written yet';
  return new WriteError(`cannot write ${what} (${where}): ${describeWriteFault(err, out)}; ${kept}: make room and run the same command again to resume`);
}

/** How a sitting ended: the trainer's result, with a deadline told apart from a signal. */
export type SittingResult = Omit<RunResult, 'stoppedBy'> & { stoppedBy: RunResult['stoppedBy'] | 'deadline' };

function refuseInWords(ms: Mismatch[]): never {
  throw new UsageError(`the checkpoint is a different run: ${ms.map((m) => `${m.field} ${m.asked}${m.stored ? ` vs the checkpoint's ${m.stored}` : ''}`).join('; ')}`);
}
