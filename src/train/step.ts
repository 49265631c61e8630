import * as tf from '@tensorflow/tfjs';
import { deblurLoss } from '../loss';
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
  /** A moving average of the weights, updated with the step. */
  average?: WeightAverage;
}

export interface StepOutcome {
  loss: LossValues;
  /** False when the loss or a gradient was NaN or ±∞: the step was then not applied. */
  applied: boolean;
}

/**
 * One optimiser step: forward, the multi-scale L1 + FFT loss, backward, and Adam's update (with
 * the weight average's), applied only when the loss and every gradient entry are finite. Leaves
 * no tensor behind. The Trainer runs this; the benchmark times it.
 */
export async function optimizerStep(s: StepInputs): Promise<StepOutcome> {
  const r = tf.tidy(() => {
    let content: tf.Scalar | undefined;
    let fft: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const outputs = s.model.apply(s.blur, { training: true }) as tf.Tensor4D[];
      const parts = deblurLoss(outputs, s.targets, s.lambda);
      content = tf.keep(parts.content); // variableGrads keeps only what its function returns
      fft = tf.keep(parts.fft);
      return parts.total;
    }, s.variables);
    // A weight the loss does not reach has no gradient: a zero one leaves Adam's update as PyTorch's.
    const list = s.variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
    return { value, content: content!, fft: fft!, grads: list };
  });
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
