import * as tf from '@tensorflow/tfjs';
import { assertWasmHeapRoom } from '../backend';
import { fingerprintPairs, type Dataset } from '../data/dataset';
import type { GoProBlur } from '../data/gopro';
import { disposeBatch, type TrainingPipeline, type TrainingBatch } from '../data/pipeline';
import { FFT_WEIGHT, type LossForm } from '../loss';
import { buildNet, configOf } from '../model/net';
import { ADAM_DEFAULTS, ScheduledAdam, type AdamSettings } from './adam';
import { writeCheckpoint, type Checkpoint, type DataDescription, type RunInit, type TrainingState } from './checkpoint';
import { WeightAverage } from './ema';
import { legacyLedger, newSegment, type LedgerSegment } from './ledger';
import { learningRate, validateSchedule, type Schedule } from './schedule';
import { optimizerStep, type LossValues } from './step';
import { StepClock } from './step-clock';

export type { LossValues } from './step';

/** What the trainer reports after every step: for progress bars, logs and live plots. */
export interface StepReport {
  /** Steps done, this one included. */
  step: number;
  /** The step this run stops at. */
  until: number;
  /** Epoch of this step's batch (0-based). */
  epoch: number;
  /** The learning rate this step used. */
  lr: number;
  loss: LossValues;
  /** Images per second over this step, waiting for its batch included. */
  imagesPerSecond: number;
  stepSeconds: number;
}

export interface RunOptions {
  /** Train until this many steps are done in total (a resumed run counts the steps before it); default: the planned steps. */
  until?: number;
  /** Where checkpoints go (`<out>/checkpoint/`); none are written without it. */
  out?: string;
  /** Write a checkpoint every this many steps (and always at the end); default 100. */
  checkpointEvery?: number;
  onStep?: (r: StepReport) => void | Promise<void>;
  /** Called after each checkpoint, and awaited (its time, e.g. an evaluation, is not counted as training time). */
  onCheckpoint?: (dir: string, step: number) => void | Promise<void>;
  /** Aborting stops the run after the current step, with a checkpoint. */
  signal?: AbortSignal;
}

export interface RunResult {
  step: number;
  stoppedBy: 'done' | 'signal';
  checkpoint?: string;
}

/** What run() tracks while it runs. */
interface RunProgress {
  savedAt: number;
  /** True while a step runs; an error outside a step comes from reading the data. */
  stepping: boolean;
  stoppedBy: RunResult['stoppedBy'];
  /** Milliseconds spent in onCheckpoint since the last step began: not training time. */
  pausedMs: number;
}

/** The loss (or a gradient) became NaN or infinite; the step was not applied. */
export class TrainingDiverged extends Error {
  override readonly name = 'TrainingDiverged';
  constructor(
    readonly step: number,
    readonly loss: LossValues,
    readonly lastCheckpoint: { dir: string; step: number } | undefined,
  ) {
    super(
      `training diverged at step ${step + 1}: loss ${loss.total} (content ${loss.content}, fft ${loss.fft}); that step was not applied. ` +
        (lastCheckpoint ? `The last good checkpoint is ${lastCheckpoint.dir} (step ${lastCheckpoint.step}), untouched. ` : 'No checkpoint was written. ') +
        'Try a lower learning rate.',
    );
  }
}

/** How a dataset is recorded in a checkpoint, with a fingerprint of exactly which pairs it holds. */
export function describeData(ds: Dataset, blur?: GoProBlur): DataDescription {
  return {
    root: ds.root,
    layout: ds.layout,
    ...(blur !== undefined && ds.layout === 'gopro' ? { blur } : {}),
    description: ds.description,
    pairs: ds.pairs.length,
    fingerprint: fingerprintPairs(ds),
  };
}

export interface NewRunOptions {
  /** How many steps the run is planned for. */
  steps: number;
  schedule: Schedule;
  data: DataDescription;
  /** Seed the model's initial weights were built with (recorded; the model is built by the caller). */
  initSeed: number;
  variant?: string;
  backend: string;
  /** The backend report's device, recorded in the state (and replaced by a resumed session's). */
  device?: string;
  lambda?: number;
  /** What the optimiser minimises (default the paper's batch mean). */
  lossForm?: LossForm;
  adam?: AdamSettings;
  /** The training data's blur generators, when known (see TrainingState.generators). */
  generators?: string[];
  /** Where the initial weights came from, when not from the seed. */
  init?: RunInit;
}

/**
 * The training loop of the paper: Adam, a learning-rate schedule by step, the multi-scale L1 + FFT
 * loss on batches of the data pipeline. Batch i of the pipeline is used at step i, so a run resumed
 * from a checkpoint at step N continues with exactly the batches a straight run would have seen.
 */
export class Trainer {
  private readonly variables: tf.Variable[];
  private lastCheckpoint: { dir: string; step: number } | undefined;
  /** The moving average of the weights, when the run keeps one. */
  private average: WeightAverage | undefined;
  /** This sitting's ledger entry, once begun. */
  private segment: LedgerSegment | undefined;
  /**
   * Micro-batches per step (their gradients accumulated): a property of the sitting, chosen to fit
   * the memory at hand; the steps are the same up to float rounding.
   */
  microBatches = 1;

  private constructor(
    readonly model: tf.LayersModel,
    readonly pipeline: TrainingPipeline,
    readonly optimizer: ScheduledAdam,
    readonly state: TrainingState,
  ) {
    // LayerVariable.read() is the tf.Variable itself, in model order: the order Adam's moments keep.
    this.variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  static create(model: tf.LayersModel, pipeline: TrainingPipeline, o: NewRunOptions): Trainer {
    validateSchedule(o.schedule);
    if (!Number.isInteger(o.steps) || o.steps < 1) throw new Error(`steps must be a positive integer (got ${o.steps})`);
    const adam = o.adam ?? ADAM_DEFAULTS;
    const state: TrainingState = {
      step: 0,
      plannedSteps: o.steps,
      epoch: 0,
      schedule: o.schedule,
      adam,
      lambda: o.lambda ?? FFT_WEIGHT,
      ...(o.lossForm && o.lossForm !== 'paper' ? { loss: o.lossForm } : {}),
      config: configOf(model),
      ...(o.variant !== undefined ? { variant: o.variant } : {}),
      data: o.data,
      pipeline: { seed: pipeline.seed, batch: pipeline.batch, crop: pipeline.crop, flip: pipeline.flip },
      initSeed: o.initSeed,
      backend: o.backend,
      ...(o.device !== undefined ? { device: o.device } : {}),
      seconds: 0,
      ...(o.generators ? { generators: o.generators } : {}),
      ...(o.init ? { init: o.init } : {}),
    };
    return new Trainer(model, pipeline, new ScheduledAdam(adam), state);
  }

  /**
   * Continues a checkpoint. The pipeline must have the checkpoint's settings (seed, batch, crop,
   * flip) or the batches would differ from a straight run's; the trainer owns the checkpoint's model.
   */
  static async resume(ckpt: Checkpoint, pipeline: TrainingPipeline): Promise<Trainer> {
    const want = ckpt.state.pipeline;
    const got = { seed: pipeline.seed, batch: pipeline.batch, crop: pipeline.crop, flip: pipeline.flip };
    if (JSON.stringify(want) !== JSON.stringify(got)) {
      throw new Error(`resume: pipeline ${JSON.stringify(got)} differs from the checkpoint's ${JSON.stringify(want)}`);
    }
    const optimizer = new ScheduledAdam(ckpt.state.adam);
    await optimizer.importState(ckpt.adam, ckpt.model.trainableWeights.map((w) => w.shape as number[]));
    const state: TrainingState = { ...ckpt.state, ledger: ckpt.state.ledger ? ckpt.state.ledger.map((s) => ({ ...s })) : legacyLedger(ckpt.state) };
    const t = new Trainer(ckpt.model, pipeline, optimizer, state);
    if (ckpt.state.ema && ckpt.ema) {
      t.average = WeightAverage.restore(t.variables, ckpt.ema, ckpt.state.ema);
      t.state.ema = t.average.state; // one record, updated with every step
    }
    t.lastCheckpoint = { dir: ckpt.dir, step: ckpt.state.step };
    return t;
  }

  /**
   * Keeps a moving average of the weights from now on (see WeightAverage); a run resumed from a
   * checkpoint that has one continues it instead. Recorded in the state, with the step it began.
   */
  averageWeights(decay: number): void {
    if (this.average) {
      if (this.average.state.decay !== decay) throw new Error(`this run already averages its weights with decay ${this.average.state.decay}, not ${decay}`);
      return;
    }
    this.average = WeightAverage.start(this.variables, decay, this.state.step);
    this.state.ema = this.average.state;
  }

  /** A new network holding the averaged weights (or a copy of the current ones without an average); the caller disposes it. */
  evaluationModel(): tf.LayersModel {
    if (this.average) return this.average.averagedModel(this.model);
    const copy = buildNet(configOf(this.model), { name: this.model.name });
    copy.setWeights(this.model.getWeights());
    return copy;
  }

  get averaging(): boolean {
    return this.average !== undefined;
  }

  /** The trainable weights, in checkpoint order. */
  get weights(): readonly tf.Variable[] {
    return this.variables;
  }

  /** The averaged weights in the same order, when the run keeps an average. */
  averageValues(): readonly tf.Variable[] | undefined {
    return this.average?.values;
  }

  /**
   * Opens this sitting's ledger segment: it records the steps trained from here, their wall time
   * and what ran them, as of each checkpoint written.
   */
  beginSegment(backend: string, device: string): void {
    this.segment = newSegment(this.state.step, backend, device);
    this.state.ledger = [...(this.state.ledger ?? legacyLedger(this.state)), this.segment];
  }

  get step(): number {
    return this.state.step;
  }

  /**
   * One optimiser step on `batch`. The loss and gradients are checked before Adam applies them:
   * a NaN or infinity throws TrainingDiverged with the weights and moments unchanged.
   */
  async trainStep(batch: TrainingBatch): Promise<LossValues> {
    this.optimizer.setLearningRate(learningRate(this.state.schedule, this.state.step));
    const { loss, applied } = await optimizerStep({
      model: this.model,
      variables: this.variables,
      optimizer: this.optimizer,
      blur: batch.blur,
      targets: batch.targets,
      lambda: this.state.lambda,
      lossForm: this.state.loss ?? 'paper',
      microBatches: this.microBatches,
      ...(this.average ? { average: this.average } : {}),
    });
    if (!applied) throw new TrainingDiverged(this.state.step, loss, this.lastCheckpoint);
    assertWasmHeapRoom(`training step ${this.state.step + 1}`);
    this.state.step += 1;
    this.state.epoch = Math.floor(((this.state.step) * this.pipeline.batch) / this.pipeline.pairs.length);
    this.state.lastLoss = loss;
    return loss;
  }

  /** Trains until `o.until` steps are done, writing checkpoints and reporting every step. */
  async run(o: RunOptions): Promise<RunResult> {
    const every = o.checkpointEvery ?? 100;
    if (!Number.isInteger(every) || every < 1) throw new Error(`checkpointEvery must be a positive integer (got ${every})`);
    const until = o.until ?? this.state.plannedSteps;
    const run: RunProgress = { savedAt: this.lastCheckpoint?.step ?? -1, stepping: false, stoppedBy: o.signal?.aborted ? 'signal' : 'done', pausedMs: 0 };
    try {
      if (this.state.step < until && run.stoppedBy === 'done') await this.steps(o, until, every, run);
    } catch (e) {
      // An unreadable image mid-run (an error while no step was running): the weights are sound,
      // so keep the steps trained so far, then report it.
      if (!run.stepping && o.out && run.savedAt !== this.state.step && this.state.step > 0) {
        await this.checkpoint(o, run);
        if (e instanceof Error) e.message += ` (training stopped at step ${this.state.step}; a checkpoint of it was written first)`;
      }
      throw e;
    }
    if (o.out && run.savedAt !== this.state.step) await this.checkpoint(o, run);
    return { step: this.state.step, stoppedBy: run.stoppedBy, ...(this.lastCheckpoint ? { checkpoint: this.lastCheckpoint.dir } : {}) };
  }

  private async steps(o: RunOptions, until: number, every: number, run: RunProgress): Promise<void> {
    // Time stopped with SIGSTOP is not training time (see StepClock).
    const clock = new StepClock(this.segment?.processor ?? 'cpu');
    try {
      await this.stepsTimed(o, until, every, run, clock);
    } finally {
      clock.dispose();
    }
  }

  private async stepsTimed(o: RunOptions, until: number, every: number, run: RunProgress, clock: StepClock): Promise<void> {
    for await (const batch of this.pipeline.batches(this.state.step)) {
      run.stepping = true;
      const lr = learningRate(this.state.schedule, this.state.step);
      let loss: LossValues;
      try {
        loss = await this.trainStep(batch);
      } finally {
        disposeBatch(batch);
      }
      const { seconds } = await clock.lap(run.pausedMs);
      run.pausedMs = 0;
      this.state.seconds += seconds;
      if (this.segment) this.segment.seconds += seconds;
      // The step is reported (and logged) before its checkpoint is written: a kill in between then
      // leaves a log row past the checkpoint, which the next sitting drops, never a missing row.
      await o.onStep?.({ step: this.state.step, until, epoch: batch.epoch, lr, loss, imagesPerSecond: this.pipeline.batch / seconds, stepSeconds: seconds });
      if (o.out && this.state.step % every === 0) await this.checkpoint(o, run);
      run.stepping = false;
      if (o.signal?.aborted) run.stoppedBy = 'signal';
      if (this.state.step >= until || run.stoppedBy === 'signal') break;
    }
  }

  private async checkpoint(o: RunOptions, run: RunProgress): Promise<void> {
    await this.save(o.out!);
    run.savedAt = this.state.step;
    const t0 = performance.now();
    await o.onCheckpoint?.(this.lastCheckpoint!.dir, this.state.step);
    run.pausedMs += performance.now() - t0;
  }

  /** Writes a checkpoint of the current step to `<out>/checkpoint/` (atomically). */
  async save(out: string): Promise<string> {
    if (this.segment) {
      this.segment.toStep = this.state.step;
      this.segment.ended = new Date().toISOString();
    }
    const ema = this.average ? await this.average.export() : undefined;
    const dir = await writeCheckpoint(out, this.model, await this.optimizer.exportState(), this.state, ema);
    this.lastCheckpoint = { dir, step: this.state.step };
    return dir;
  }

  dispose(): void {
    this.average?.dispose();
    this.optimizer.dispose();
    this.model.dispose();
  }
}
