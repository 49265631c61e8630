import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors';
import { imagePyramid } from '../pyramid';
import { Rng } from '../random';
import type { ImagePair } from './dataset';
import { readRaster } from './image';
import { rastersToBatch } from './raster';

export interface PipelineOptions {
  batch: number;
  /** Square crop side; a multiple of 4 (the network halves twice). The paper's: 256. */
  crop?: number;
  /** Random left–right mirroring (default true). */
  flip?: boolean;
  seed?: number;
}

/** Where one training sample comes from. */
export interface SampleSpec {
  pair: ImagePair;
  left: number;
  top: number;
  flip: boolean;
}

export interface TrainingBatch {
  /** Which batch of the stream this is (0, 1, ...); the stream's position for resuming. */
  index: number;
  /** Epoch of the batch's first sample (an epoch = every pair once). */
  epoch: number;
  samples: SampleSpec[];
  /** [B, crop, crop, 3] blurred crops: the network's input B1. */
  blur: tf.Tensor4D;
  /** [R3, R2, R1]: sharp crops at ¼, ½ and full size, in the order the network outputs [S3, S2, S1]. */
  targets: [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
}

export function disposeBatch(b: TrainingBatch): void {
  tf.dispose([b.blur, ...b.targets]);
}

export const DEFAULT_CROP = 256;

/**
 * An endless stream of training batches: random square crops at the same place in the blurred and
 * sharp image, random left–right flips, each pair once per epoch in a shuffled order. Batches run
 * across epoch boundaries, so every batch is full.
 *
 * Batch `i` is a pure function of (pairs, options, i): the order of epoch e and the crop of sample
 * k come from their own seeded streams. So the stream is reproducible, a resumed run continues
 * exactly by starting at the next index, and batches can be loaded ahead without changing them.
 * Images are read from disk per batch (only the crops are kept), never the whole dataset at once.
 */
export class TrainingPipeline {
  readonly batch: number;
  readonly crop: number;
  readonly flip: boolean;
  readonly seed: number;
  private cachedOrder: { epoch: number; order: number[] } | undefined;

  constructor(readonly pairs: readonly ImagePair[], o: PipelineOptions) {
    this.batch = o.batch;
    this.crop = o.crop ?? DEFAULT_CROP;
    this.flip = o.flip ?? true;
    this.seed = o.seed ?? 0;
    if (!Number.isInteger(this.batch) || this.batch < 1) throw new UsageError(`batch size must be a positive integer (got ${o.batch})`);
    if (!Number.isInteger(this.crop) || this.crop < 4 || this.crop % 4 !== 0) {
      throw new UsageError(`crop must be a multiple of 4, at least 4 (got ${o.crop}): the network halves the size twice`);
    }
    if (pairs.length === 0) throw new UsageError('no training pairs');
    const small = pairs.filter((p) => p.width < this.crop || p.height < this.crop);
    if (small.length) {
      const list = small.slice(0, 3).map((p) => `${p.sharp} (${p.width}×${p.height})`).join(', ');
      const smallest = Math.min(...small.map((p) => Math.min(p.width, p.height)));
      throw new UsageError(
        `${small.length} of ${pairs.length} pairs are smaller than the ${this.crop}×${this.crop} crop: ${list}${small.length > 3 ? ', …' : ''}; ` +
          `use a crop of at most ${Math.floor(smallest / 4) * 4} or leave those images out`,
      );
    }
  }

  /** Batches per epoch (the last batch of an epoch may spill into the next). */
  get batchesPerEpoch(): number {
    return Math.ceil(this.pairs.length / this.batch);
  }

  private order(epoch: number): number[] {
    if (this.cachedOrder?.epoch !== epoch) {
      const indices = this.pairs.map((_, i) => i);
      this.cachedOrder = { epoch, order: Rng.seeded(this.seed, 'order', epoch).shuffle(indices) };
    }
    return this.cachedOrder.order;
  }

  /** The samples of batch `index`, without reading anything. */
  plan(index: number): SampleSpec[] {
    if (!Number.isInteger(index) || index < 0) throw new Error(`plan: bad batch index ${index}`);
    const n = this.pairs.length;
    const out: SampleSpec[] = [];
    for (let j = 0; j < this.batch; j++) {
      const k = index * this.batch + j; // global sample number
      const pair = this.pairs[this.order(Math.floor(k / n))[k % n]!]!;
      const rng = Rng.seeded(this.seed, 'sample', k);
      const left = rng.int(0, pair.width - this.crop);
      const top = rng.int(0, pair.height - this.crop);
      const flip = this.flip && rng.bernoulli(0.5);
      out.push({ pair, left, top, flip });
    }
    return out;
  }

  /** Reads and assembles batch `index`. The caller owns (and must dispose) its tensors. */
  async load(index: number): Promise<TrainingBatch> {
    const samples = this.plan(index);
    const crops = await Promise.all(
      samples.map(async (s) => {
        const window = { left: s.left, top: s.top, width: this.crop, height: this.crop };
        const [b, t] = await Promise.all([readRaster(s.pair.blur, { window, flip: s.flip }), readRaster(s.pair.sharp, { window, flip: s.flip })]);
        return { blur: b.raster, sharp: t.raster };
      }),
    );
    const blur = rastersToBatch(crops.map((c) => c.blur));
    const sharp = rastersToBatch(crops.map((c) => c.sharp));
    const targets = imagePyramid(sharp);
    sharp.dispose();
    return { index, epoch: Math.floor((index * this.batch) / this.pairs.length), samples, blur, targets };
  }

  /**
   * Batches `from`, `from + 1`, ... with the next one loading while the caller works on the
   * current one. Stop with `break`: the batch loaded ahead is disposed.
   */
  async *batches(from = 0): AsyncGenerator<TrainingBatch, void, undefined> {
    // A rejection of the batch loaded ahead surfaces when it is awaited, not as an unhandled one.
    const start = (i: number): Promise<TrainingBatch> => {
      const p = this.load(i);
      p.catch(() => undefined);
      return p;
    };
    let ahead = start(from);
    try {
      for (let i = from; ; i++) {
        const current = await ahead;
        ahead = start(i + 1);
        yield current;
      }
    } finally {
      await ahead.then(disposeBatch, () => undefined);
    }
  }
}
