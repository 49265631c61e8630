import * as tf from '@tensorflow/tfjs';
import { ADAM_STEP, adamStepInputName, type AdamStepAttrs } from '../kernels/ops/adam-step';
import type { WeightAverage } from './ema';

/** Adam's hyper-parameters. PyTorch's defaults (MIMO-UNet trains with them); tfjs's ε would be 1e-7. */
export interface AdamSettings {
  beta1: number;
  beta2: number;
  epsilon: number;
}

export const ADAM_DEFAULTS: AdamSettings = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/** Adam's state in the model's trainable-weight order: what a checkpoint must keep to resume exactly. */
export interface AdamState {
  /** Optimiser steps applied so far (Adam's bias correction depends on it). */
  iterations: number;
  /** First and second moments, one array per trainable weight, in `model.trainableWeights` order. */
  m: Float32Array[];
  v: Float32Array[];
}

/** One step's new weights, moments and averages, computed but not yet applied. */
export interface AdamProposal {
  weights: tf.Tensor[];
  m: tf.Tensor[];
  v: tf.Tensor[];
  /** The weight average's next values (empty without an average). */
  averages: tf.Tensor[];
  /** 1 when every gradient value is finite, else 0. */
  finite: tf.Scalar;
}

/**
 * Adam as PyTorch and tfjs define it (m' = β1 m + (1 − β1) g, v' = β2 v + (1 − β2) g²,
 * w' = w − lr · (m' / (1 − β1^t)) / (√(v' / (1 − β2^t)) + ε)), with the learning rate set per step
 * by the schedule, and the update split in two: `propose` computes the step (and the weight
 * average's), `commit` applies it. The caller commits only when the loss and every gradient are
 * finite, so a diverging step changes nothing. On wasm with the native addon the whole step is one
 * kernel (kernels/ops/adam-step.ts); elsewhere it is tfjs ops, weight by weight.
 */
export class ScheduledAdam {
  private m: tf.Variable[] = [];
  private v: tf.Variable[] = [];
  iterations = 0;
  private lr = 0;

  constructor(readonly settings: AdamSettings = ADAM_DEFAULTS) {}

  setLearningRate(lr: number): void {
    this.lr = lr;
  }

  get learningRate(): number {
    return this.lr;
  }

  private ensureMoments(variables: readonly tf.Variable[]): void {
    if (this.m.length === variables.length) return;
    if (this.m.length !== 0) throw new Error(`Adam holds moments for ${this.m.length} weights, not ${variables.length}`);
    // tidy frees the initial tensors: a variable keeps its own reference to the data.
    this.m = tf.tidy(() => variables.map((w) => tf.variable(tf.zerosLike(w), false)));
    this.v = tf.tidy(() => variables.map((w) => tf.variable(tf.zerosLike(w), false)));
  }

  /** The next step for `grads` (in the variables' order); nothing changes until commit(). */
  propose(variables: readonly tf.Variable[], grads: readonly tf.Tensor[], average?: WeightAverage): AdamProposal {
    this.ensureMoments(variables);
    const t = this.iterations + 1;
    const { beta1, beta2, epsilon } = this.settings;
    const correction1 = 1 - Math.pow(beta1, t);
    const correction2 = 1 - Math.pow(beta2, t);
    const averages = average?.values ?? [];
    const rate = average ? 1 - average.currentDecay : 0;
    const n = variables.length;
    if (tf.getKernel(ADAM_STEP, tf.getBackend()) !== undefined) {
      const inputs: tf.NamedTensorMap = {};
      for (let i = 0; i < n; i++) {
        inputs[adamStepInputName('p', i)] = variables[i]!;
        inputs[adamStepInputName('g', i)] = grads[i]!;
        inputs[adamStepInputName('m', i)] = this.m[i]!;
        inputs[adamStepInputName('v', i)] = this.v[i]!;
        if (average) inputs[adamStepInputName('e', i)] = averages[i]!;
      }
      const attrs: AdamStepAttrs = { count: n, average: average !== undefined, lr: this.lr, beta1, beta2, epsilon, correction1, correction2, rate };
      const out = tf.engine().runKernel(ADAM_STEP, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      return { weights: out.slice(0, n), m: out.slice(n, 2 * n), v: out.slice(2 * n, 3 * n), averages: out.slice(3 * n, out.length - 1), finite: out[out.length - 1] as tf.Scalar };
    }
    return tf.tidy(() => {
      const m = this.m.map((mi, i) => tf.add(tf.mul(mi, beta1), tf.mul(grads[i]!, 1 - beta1)));
      const v = this.v.map((vi, i) => tf.add(tf.mul(vi, beta2), tf.mul(tf.square(grads[i]!), 1 - beta2)));
      const weights = variables.map((w, i) => tf.sub(w, tf.mul(this.lr, tf.div(tf.div(m[i]!, correction1), tf.add(tf.sqrt(tf.div(v[i]!, correction2)), epsilon)))));
      const next = averages.map((a, i) => tf.add(a, tf.mul(tf.sub(weights[i]!, a), rate)));
      return { weights, m, v, averages: next, finite: tf.cast(tf.isFinite(pairwiseSum(grads.map((g) => tf.sum(g)))), 'float32') as tf.Scalar };
    });
  }

  /** Applies a proposal: the weights, the moments, the average; counts the step. */
  commit(variables: readonly tf.Variable[], p: AdamProposal, average?: WeightAverage): void {
    variables.forEach((w, i) => w.assign(p.weights[i]!));
    this.m.forEach((m, i) => m.assign(p.m[i]!));
    this.v.forEach((v, i) => v.assign(p.v[i]!));
    if (average) average.accept(p.averages);
    this.iterations += 1;
    discardProposal(p); // assign keeps its own reference to the data
  }

  /** The moments, read back from the backend (empty before the first step). */
  async exportState(): Promise<AdamState> {
    const read = async (t: tf.Tensor): Promise<Float32Array> => new Float32Array((await t.data()) as Float32Array);
    return { iterations: this.iterations, m: await Promise.all(this.m.map(read)), v: await Promise.all(this.v.map(read)) };
  }

  /** Restores moments saved by exportState; `shapes` are the model's trainable weight shapes, in order. */
  async importState(state: AdamState, shapes: number[][]): Promise<void> {
    if (state.iterations === 0 && state.m.length === 0) return; // nothing applied yet: a fresh Adam is the same
    if (state.m.length !== shapes.length || state.v.length !== shapes.length) {
      throw new Error(`optimizer state has ${state.m.length} moments for a model with ${shapes.length} trainable weights`);
    }
    this.dispose();
    this.m = tf.tidy(() => state.m.map((a, i) => tf.variable(tf.tensor(a, shapes[i]), false)));
    this.v = tf.tidy(() => state.v.map((a, i) => tf.variable(tf.tensor(a, shapes[i]), false)));
    this.iterations = state.iterations;
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
    this.m = [];
    this.v = [];
  }
}

export function discardProposal(p: AdamProposal): void {
  tf.dispose([...p.weights, ...p.m, ...p.v, ...p.averages, p.finite]);
}

/**
 * Σ of scalars as a balanced tree of two-input adds: one AddN over hundreds of tensors exceeds
 * WebGPU's storage-buffer and shader-expression limits.
 */
export function pairwiseSum(xs: readonly tf.Scalar[]): tf.Scalar {
  if (xs.length === 0) return tf.scalar(0);
  let level = [...xs];
  while (level.length > 1) {
    const next: tf.Scalar[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? tf.add(level[i]!, level[i + 1]!) : level[i]!);
    level = next;
  }
  return level[0]!;
}
