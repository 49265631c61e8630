import * as tf from '@tensorflow/tfjs';
import { WASM_HEAP_MAX } from '../backend';
import { UsageError } from '../errors';
import { deblurLoss } from '../loss';
import { imagePyramid } from '../pyramid';

/** The crop side of the probe step: small enough to be quick, large enough that per-pixel costs dominate. */
const PROBE_CROP = 64;
/**
 * The wasm heap exceeds the tensor bytes by allocator slack, XNNPACK's scratch and packed weights.
 * Measured after two training steps (lite 4 × 128², 2 × 256², 4 × 256²; full 1, 2, 4 × 128²):
 * heap = real peak + 120–250 MiB, at most 1.08 × peak + 128 MiB.
 */
export const HEAP_OVER_TENSORS = 1.1;
export const HEAP_FIXED_BYTES = 128 * 2 ** 20;

/**
 * Peak tensor bytes per input pixel of one training step (forward, loss, backward) of `model`,
 * measured on a 1 × 64² probe. The saved activations grow in proportion to batch × crop², so the
 * peak does too; the probe's weights are not updated.
 *
 * On wasm the probe counts the bytes the backend really holds in its heap (every tensor buffer is
 * allocated through the module's malloc): tf.profile's peak counts each tensor object, so it
 * counts a buffer twice when two tensors share it (reshapes, clones), which no longer tracks the heap.
 */
export async function trainingBytesPerPixel(model: tf.LayersModel, lambda?: number): Promise<number> {
  const x = tf.fill([1, PROBE_CROP, PROBE_CROP, 3], 0.5) as tf.Tensor4D;
  const targets = imagePyramid(x);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const step = () => {
    const { value, grads } = tf.variableGrads(() => deblurLoss(model.apply(x, { training: true }) as tf.Tensor4D[], targets, lambda).total, vars);
    tf.dispose([value, ...Object.values(grads)]);
  };
  let peak: number;
  try {
    const heap = tf.getBackend() === 'wasm' ? (tf.backend() as unknown as { wasm?: MallocModule }).wasm : undefined;
    peak = heap ? peakMallocBytes(heap, step) : (await tf.profile(step)).peakBytes;
  } finally {
    tf.dispose([x, ...targets]);
  }
  return peak / (PROBE_CROP * PROBE_CROP);
}

interface MallocModule {
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  asm?: { malloc?: (bytes: number) => number; free?: (ptr: number) => void };
}

/** The most bytes allocated at once through the module's malloc while `body` runs, beyond what was live before. */
function peakMallocBytes(m: MallocModule, body: () => void): number {
  // Emscripten's exports start as stubs that overwrite themselves with the raw function on their
  // first call, which would also overwrite the wrappers below: wrap the raw functions.
  const malloc = m.asm?.malloc ?? m._malloc;
  const free = m.asm?.free ?? m._free;
  const sizes = new Map<number, number>();
  let live = 0;
  let peak = 0;
  m._malloc = (bytes: number) => {
    const ptr = malloc(bytes);
    sizes.set(ptr, bytes);
    live += bytes;
    peak = Math.max(peak, live);
    return ptr;
  };
  m._free = (ptr: number) => {
    live -= sizes.get(ptr) ?? 0;
    sizes.delete(ptr);
    free(ptr);
  };
  try {
    body();
  } finally {
    m._malloc = malloc;
    m._free = free;
  }
  return peak;
}

export interface HeapPlan {
  /** Estimated wasm heap for one step. */
  bytes: number;
  fits: boolean;
  /** The largest batch that fits at this crop (0 if none), and the largest crop (a multiple of 4) at this batch. */
  maxBatch: number;
  maxCrop: number;
}

export function planHeap(bytesPerPixel: number, batch: number, crop: number, ceiling = WASM_HEAP_MAX): HeapPlan {
  const perPixel = bytesPerPixel * HEAP_OVER_TENSORS;
  const bytes = HEAP_FIXED_BYTES + perPixel * batch * crop * crop;
  const room = ceiling - HEAP_FIXED_BYTES;
  return {
    bytes,
    fits: bytes <= ceiling,
    maxBatch: Math.max(0, Math.floor(room / (perPixel * crop * crop))),
    maxCrop: Math.max(0, Math.floor(Math.sqrt(room / (perPixel * batch)) / 4) * 4),
  };
}

/** Refuses, with the sizes that would fit, a training step too large for the wasm heap (which would fail silently or crash). */
export async function assertTrainingFits(model: tf.LayersModel, batch: number, crop: number, what: string): Promise<HeapPlan> {
  const plan = planHeap(await trainingBytesPerPixel(model), batch, crop);
  assertPlanFits(plan, batch, crop, what);
  return plan;
}

/** How a batch is split for one training step: `count` micro-batches of `size` images each. */
export interface MicroBatching {
  count: number;
  size: number;
  /** The heap plan of one micro-batch, and of the whole batch at once. */
  plan: HeapPlan;
  whole: HeapPlan;
}

/**
 * The fewest micro-batches (equal, dividing the batch) whose steps fit the wasm heap: the step then
 * accumulates their gradients (optimizerStep), which equals the whole batch's gradient. Refuses,
 * with the crop that would fit, when even one image at a time does not.
 */
export function microBatching(bytesPerPixel: number, batch: number, crop: number, what: string): MicroBatching {
  const whole = planHeap(bytesPerPixel, batch, crop);
  for (let count = 1; count <= batch; count++) {
    if (batch % count !== 0) continue;
    const plan = planHeap(bytesPerPixel, batch / count, crop);
    if (plan.fits) return { count, size: batch / count, plan, whole };
  }
  const single = planHeap(bytesPerPixel, 1, crop);
  assertPlanFits(single, 1, crop, `${what} (even one image at a time)`);
  throw new Error('unreachable: a batch of one fits');
}

/** microBatching for `model`, from a probe step on the active backend (wasm only; elsewhere the whole batch). */
export async function planTrainingStep(model: tf.LayersModel, batch: number, crop: number, what: string): Promise<MicroBatching | undefined> {
  if (tf.getBackend() !== 'wasm') return undefined;
  return microBatching(await trainingBytesPerPixel(model), batch, crop, what);
}

/** Throws a UsageError naming the batch or crop that would fit when `plan` does not. */
export function assertPlanFits(plan: HeapPlan, batch: number, crop: number, what: string): void {
  if (plan.fits) return;
  const gib = (b: number): string => (b / 2 ** 30).toFixed(1);
  const options = [plan.maxBatch > 0 ? `--batch ${plan.maxBatch} at this crop` : '', plan.maxCrop >= 16 ? `--crop ${plan.maxCrop} at this batch` : ''].filter((s) => s);
  throw new UsageError(
    `${what} at batch ${batch} × ${crop}² needs about ${gib(plan.bytes)} GiB of wasm heap, more than its 4 GiB ceiling` +
      (options.length ? `; what fits: ${options.join(', or ')}` : '; nothing this size fits: use a narrower network'),
  );
}
