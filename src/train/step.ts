import * as tf from '@tensorflow/tfjs';
import { deblurLoss, type LossForm } from '../loss';
import { imagePyramid } from '../pyramid';
import { discardProposal, type ScheduledAdam } from './adam';
import type { WeightAverage } from './ema';

export interface LossValues {
  total: number;
  content: number;
  fft: number;
}

export interface StepInputs {
  model: tf.LayersModel;
  /** The model's trainable variables, in the order the optimiser keeps its moments. */
  variables: tf.Variable[];
  optimizer: ScheduledAdam;
  blur: tf.Tensor4D;
  /** [R3, R2, R1] (imagePyramid of the sharp batch). */
  targets: tf.Tensor4D[];
  lambda: number;
  /** What the optimiser minimises (default the paper's batch mean): see LossForm. */
  lossForm?: LossForm;
  /** A moving average of the weights, updated with the step. */
  average?: WeightAverage;
  /**
   * Split the batch into this many equal parts and accumulate their gradients (default 1): the
   * loss is a mean over the batch, so the mean of the parts' gradients is the batch's gradient,
   * while only one part's activations are held at a time.
   */
  microBatches?: number;
}

export interface StepOutcome {
  loss: LossValues;
  /** False when the loss or a gradient was NaN or ±∞: the step was then not applied. */
  applied: boolean;
}

/**
 * The loss (and its parts) and the gradient of every variable for one batch, accumulated over
 * `microBatches` equal parts when asked. The caller disposes the tensors.
 */
export function batchGradients(s: Omit<StepInputs, 'optimizer' | 'average'>): LossAndGradients {
  const parts = s.microBatches ?? 1;
  const batch = s.blur.shape[0];
  if (!Number.isInteger(parts) || parts < 1 || batch % parts !== 0) throw new Error(`microBatches ${parts} must divide the batch of ${batch}`);
  return parts === 1 ? lossAndGradients(s, s.blur, s.targets) : accumulate(s, parts);
}

export interface LossAndGradients {
  value: tf.Scalar;
  content: tf.Scalar;
  fft: tf.Scalar;
  /** In the variables' order. */
  grads: tf.Tensor[];
}

/** The loss and its gradient for every variable on one (micro-)batch. */
function lossAndGradients(s: Omit<StepInputs, 'optimizer' | 'average'>, blur: tf.Tensor4D, targets: tf.Tensor4D[]): LossAndGradients {
  return tf.tidy(() => {
    let content: tf.Scalar | undefined;
    let fft: tf.Scalar | undefined;
    let total: tf.Scalar | undefined;
    const inputs = s.lossForm === 'relative' ? imagePyramid(blur) : undefined; // what leaving the images alone would score
    const { value: objective, grads } = tf.variableGrads(() => {
      const outputs = s.model.apply(blur, { training: true }) as tf.Tensor4D[];
      const parts = deblurLoss(outputs, targets, s.lambda, s.lossForm, inputs);
      content = tf.keep(parts.content); // variableGrads keeps only what its function returns
      fft = tf.keep(parts.fft);
      total = tf.keep(parts.total);
      return parts.objective;
    }, s.variables);
    // The log reports the paper's loss whatever is minimised; a NaN in the objective still stops the step.
    const value = tf.add(total!, tf.mul(objective, 0)) as tf.Scalar;
    total!.dispose(); // kept above, so tidy would leave it (it may be the objective itself)
    // A weight the loss does not reach has no gradient: a zero one leaves Adam's update as PyTorch's.
    const list = s.variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
    return { value, content: content!, fft: fft!, grads: list };
  });
}

/** The mean over `parts` equal micro-batches of their losses and gradients, one micro-batch in memory at a time. */
function accumulate(s: Omit<StepInputs, 'optimizer' | 'average'>, parts: number): LossAndGradients {
  const size = s.blur.shape[0] / parts;
  let sum: LossAndGradients | undefined;
  for (let j = 0; j < parts; j++) {
    const slice = <T extends tf.Tensor4D>(t: T): T => tf.slice(t, [j * size, 0, 0, 0], [size, -1, -1, -1]) as T;
    const blur = slice(s.blur);
    const targets = s.targets.map(slice);
    let part: LossAndGradients;
    try {
      part = lossAndGradients(s, blur, targets);
    } finally {
      tf.dispose([blur, ...targets]);
    }
    if (sum === undefined) {
      sum = part;
      continue;
    }
    const previous: LossAndGradients = sum;
    sum = tf.tidy(() => ({
      value: tf.add(previous.value, part.value) as tf.Scalar,
      content: tf.add(previous.content, part.content) as tf.Scalar,
      fft: tf.add(previous.fft, part.fft) as tf.Scalar,
      grads: previous.grads.map((g, i) => tf.add(g, part.grads[i]!)),
    }));
    tf.dispose([previous.value, previous.content, previous.fft, ...previous.grads, part.value, part.content, part.fft, ...part.grads]);
  }
  const total = sum!;
  const mean = tf.tidy(() => ({
    value: tf.div(total.value, parts) as tf.Scalar,
    content: tf.div(total.content, parts) as tf.Scalar,
    fft: tf.div(total.fft, parts) as tf.Scalar,
    grads: total.grads.map((g) => tf.div(g, parts)),
  }));
  tf.dispose([total.value, total.content, total.fft, ...total.grads]);
  return mean;
}

/**
 * One optimiser step: forward, the multi-scale L1 + FFT loss, backward, and Adam's update (with
 * the weight average's), applied only when the loss and every gradient entry are finite. Leaves
 * no tensor behind. The Trainer runs this; the benchmark times it.
 */
export async function optimizerStep(s: StepInputs): Promise<StepOutcome> {
  const r = batchGradients(s);
  const proposal = s.optimizer.propose(s.variables, r.grads, s.average);
  try {
    // Async reads: on GPU backends a sync read would stall (and throws under webgpu in Node).
    const [total, content, fft, finite] = (await Promise.all([r.value, r.content, r.fft, proposal.finite].map((t) => t.data()))).map((d) => d[0]!);
    const loss = { total: total!, content: content!, fft: fft! };
    if (!Number.isFinite(total) || finite !== 1) {
      discardProposal(proposal);
      return { loss, applied: false };
    }
    s.optimizer.commit(s.variables, proposal, s.average);
    return { loss, applied: true };
  } finally {
    tf.dispose([r.value, r.content, r.fft, ...r.grads]);
  }
}
