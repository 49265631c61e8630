import * as tf from '@tensorflow/tfjs';
import { deblurLoss } from '../loss';

export interface LossValues {
  total: number;
  content: number;
  fft: number;
}

export interface StepInputs {
  model: tf.LayersModel;
  /** The model's trainable variables, in the order the optimiser keeps its moments. */
  variables: tf.Variable[];
  optimizer: tf.Optimizer;
  blur: tf.Tensor4D;
  /** [R3, R2, R1] (imagePyramid of the sharp batch). */
  targets: tf.Tensor4D[];
  lambda: number;
}

export interface StepOutcome {
  loss: LossValues;
  /** False when the loss or a gradient was NaN or ±∞: the gradients were then not applied. */
  applied: boolean;
}

/**
 * One optimiser step: forward, the multi-scale L1 + FFT loss, backward, and the optimiser's update,
 * applied only when the loss and every gradient entry are finite. Leaves no tensor behind.
 * The Trainer runs this; the benchmark times it.
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
    // One number that is NaN or ±∞ if the loss or any gradient entry is.
    const health = tf.addN([value, ...Object.values(grads).map((g) => tf.sum(g))]);
    return { value, content: content!, fft: fft!, health, grads };
  });
  try {
    // Async reads: on GPU backends a sync read would stall (and throws under webgpu in Node).
    const [total, content, fft, health] = (await Promise.all([r.value, r.content, r.fft, r.health].map((t) => t.data()))).map((d) => d[0]!);
    const loss = { total: total!, content: content!, fft: fft! };
    if (!Number.isFinite(health)) return { loss, applied: false };
    s.optimizer.applyGradients(s.variables.map((v) => ({ name: v.name, tensor: r.grads[v.name]! })).filter((g) => g.tensor));
    return { loss, applied: true };
  } finally {
    tf.dispose([r.value, r.content, r.fft, r.health, ...Object.values(r.grads)]);
  }
}
