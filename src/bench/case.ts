import * as tf from '@tensorflow/tfjs';
import { wasmHeapBytes } from '../backend';
import { UsageError } from '../errors';
import { FFT_WEIGHT } from '../loss';
import { variantConfig, type VariantName } from '../model/config';
import { buildNet } from '../model/net';
import { summarize } from '../model/summary';
import { imagePyramid } from '../pyramid';
import { ScheduledAdam } from '../train/adam';
import { microBatching, planHeap, trainingBytesPerPixel } from '../train/memory';
import { optimizerStep } from '../train/step';
import { timeRuns, type Timing } from './timing';

/** One benchmark case: a variant at a batch and input size, trained and/or run forward. */
export interface BenchCase {
  variant: VariantName;
  batch: number;
  height: number;
  width: number;
  /** Time the training step (forward + loss + backward + Adam). */
  train: boolean;
  /** Time inference (forward only, no tape). */
  infer: boolean;
  /** Timed runs of each (after `warmup` untimed ones). */
  steps: number;
  warmup: number;
  /** After the `warmup` runs, more untimed runs until this many seconds of warm-up have passed. */
  warmupSeconds?: number;
}

/** What one case measured on one backend. Times in ms; `null` where a part was not run. */
export interface CaseResult {
  variant: VariantName;
  backend: string;
  batch: number;
  height: number;
  width: number;
  params: number;
  /** Multiply-adds of one forward pass over the batch (convolutions and dense layers). */
  forwardMacs: number;
  trainStepMs: number | null;
  inferMs: number | null;
  train: Timing | null;
  infer: Timing | null;
  /** Images per second through a training step / an inference pass. */
  trainImagesPerSecond: number | null;
  inferImagesPerSecond: number | null;
  /**
   * Effective G multiply-adds per second. A training step is counted as 3 forward passes (the
   * backward pass of a convolution costs two: one for the input gradient, one for the weights).
   */
  trainGmacsPerSecond: number | null;
  inferGmacsPerSecond: number | null;
  /** Why training was not timed (e.g. not even one image at a time fits the wasm heap). */
  trainSkipped?: string;
  /** Micro-batches per timed step (their gradients accumulated) when the batch does not fit the wasm heap at once. */
  microBatches?: number;
  /** Peak resident memory of this process, and the wasm heap at the end (it never shrinks: its peak). */
  peakRssBytes: number;
  peakWasmHeapBytes: number | null;
}

export interface CaseProgress {
  (what: 'train' | 'infer', run: number, ms: number): void;
}

/**
 * Measures one case on the active backend with a fresh, seeded model and fixed random inputs.
 * Training that would not fit the wasm heap is reported as skipped (with the size it needs),
 * not attempted: past the ceiling XNNPACK fails silently and the timings would mean nothing.
 */
export async function runCase(c: BenchCase, onRun?: CaseProgress): Promise<CaseResult> {
  validateCase(c);
  const cfg = variantConfig(c.variant);
  const model = buildNet(cfg, { seed: 1 });
  const forwardMacs = summarize(cfg, c.height, c.width).macs * c.batch;
  const sharp = tf.randomUniform([c.batch, c.height, c.width, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  const blur = tf.tidy(() => tf.clipByValue(tf.add(sharp, tf.randomNormal(sharp.shape, 0, 0.05, 'float32', 8)), 0, 1) as tf.Tensor4D);
  const targets = imagePyramid(sharp);
  const perSecond = (t: Timing | null, n: number) => (t ? (n * 1000) / t.median : null);
  try {
    let train: Timing | null = null;
    let trainSkipped: string | undefined;
    let microBatches = 1;
    if (c.train) {
      const plan = tf.getBackend() === 'wasm' ? planHeap(await trainingBytesPerPixel(model), 1, Math.sqrt(c.height * c.width)) : undefined;
      if (plan && !plan.fits) {
        trainSkipped = `needs about ${(plan.bytes / 2 ** 30).toFixed(1)} GiB of wasm heap for one image (ceiling 4 GiB)`;
      } else {
        // As train does: the fewest micro-batches whose activations fit the heap.
        const split = tf.getBackend() === 'wasm' ? microBatching(await trainingBytesPerPixel(model), c.batch, Math.sqrt(c.height * c.width), c.variant) : undefined;
        microBatches = split?.count ?? 1;
        const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
        const optimizer = new ScheduledAdam();
        optimizer.setLearningRate(1e-4);
        try {
          train = await timeRuns(
            async () => {
              const { applied } = await optimizerStep({ model, variables, optimizer, blur, targets, lambda: FFT_WEIGHT, microBatches });
              if (!applied) throw new Error('benchmark step diverged (non-finite loss)');
            },
            c.steps,
            c.warmup,
            (i, ms) => onRun?.('train', i, ms),
            c.warmupSeconds,
          );
        } finally {
          optimizer.dispose();
        }
      }
    }
    const infer = c.infer
      ? await timeRuns(
          async () => {
            const outs = model.predict(blur) as tf.Tensor[];
            await outs[outs.length - 1]!.data(); // waits for the whole graph on async backends
            tf.dispose(outs);
          },
          c.steps,
          c.warmup,
          (i, ms) => onRun?.('infer', i, ms),
          c.warmupSeconds,
        )
      : null;
    return {
      variant: c.variant,
      backend: tf.getBackend(),
      batch: c.batch,
      height: c.height,
      width: c.width,
      params: model.countParams(),
      forwardMacs,
      trainStepMs: train?.median ?? null,
      inferMs: infer?.median ?? null,
      train,
      infer,
      trainImagesPerSecond: perSecond(train, c.batch),
      inferImagesPerSecond: perSecond(infer, c.batch),
      trainGmacsPerSecond: perSecond(train, (3 * forwardMacs) / 1e9),
      inferGmacsPerSecond: perSecond(infer, forwardMacs / 1e9),
      ...(trainSkipped !== undefined ? { trainSkipped } : {}),
      ...(microBatches > 1 ? { microBatches } : {}),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      peakWasmHeapBytes: wasmHeapBytes() ?? null,
    };
  } finally {
    tf.dispose([sharp, blur, ...targets]);
    model.dispose();
  }
}

export function validateCase(c: BenchCase): void {
  const positive = (v: number, what: string) => {
    if (!Number.isInteger(v) || v < 1) throw new UsageError(`${what} must be a positive integer (got ${v})`);
  };
  positive(c.batch, 'batch');
  positive(c.steps, 'steps');
  if (!Number.isInteger(c.warmup) || c.warmup < 0) throw new UsageError(`warmup must be a non-negative integer (got ${c.warmup})`);
  if (c.height % 4 || c.width % 4 || c.height < 4 || c.width < 4) {
    throw new UsageError(`the input size must be multiples of 4, at least 4 (got ${c.height}×${c.width})`);
  }
  if (!c.train && !c.infer) throw new UsageError('a case must time training, inference or both');
}
