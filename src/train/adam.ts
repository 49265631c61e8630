import * as tf from '@tensorflow/tfjs';

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

/**
 * tfjs's own Adam with the learning rate settable per step (tfjs reads it on every update but only
 * lets subclasses write it), so a schedule can drive it without rebuilding the optimiser.
 */
export class ScheduledAdam extends tf.AdamOptimizer {
  constructor(readonly settings: AdamSettings = ADAM_DEFAULTS) {
    super(0, settings.beta1, settings.beta2, settings.epsilon);
  }

  setLearningRate(lr: number): void {
    this.learningRate = lr;
  }

  /** The moments, read back from the backend (empty before the first step). */
  async exportState(): Promise<AdamState> {
    const weights = await this.getWeights(); // [iterations, m..., v...]
    const slots = weights.slice(1);
    const half = slots.length / 2;
    const read = async (t: tf.Tensor): Promise<Float32Array> => new Float32Array((await t.data()) as Float32Array);
    const iter = (await weights[0]!.tensor.data())[0]!;
    weights[0]!.tensor.dispose(); // saveIterations() makes a fresh scalar
    return {
      iterations: iter,
      m: await Promise.all(slots.slice(0, half).map((w) => read(w.tensor))),
      v: await Promise.all(slots.slice(half).map((w) => read(w.tensor))),
    };
  }

  /** Restores moments saved by exportState; `shapes` are the model's trainable weight shapes, in order. */
  async importState(state: AdamState, shapes: number[][]): Promise<void> {
    if (state.iterations === 0 && state.m.length === 0) return; // nothing applied yet: a fresh Adam is the same
    if (state.m.length !== shapes.length || state.v.length !== shapes.length) {
      throw new Error(`optimizer state has ${state.m.length} moments for a model with ${shapes.length} trainable weights`);
    }
    const named: Parameters<tf.Optimizer['setWeights']>[0] = [{ name: 'iter', tensor: tf.scalar(state.iterations, 'int32') }];
    for (const [kind, arrays] of [['m', state.m], ['v', state.v]] as const) {
      arrays.forEach((a, i) => named.push({ name: `w${i}/${kind}`, tensor: tf.tensor(a, shapes[i]) }));
    }
    await this.setWeights(named);
    tf.dispose(named.map((n) => n.tensor)); // setWeights copies them into new variables
  }
}
