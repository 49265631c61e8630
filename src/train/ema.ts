import * as tf from '@tensorflow/tfjs';
import { buildNet, configOf } from '../model/net';

/** The weight average's record in a checkpoint. */
export interface EmaState {
  /** The average's decay per step (0.999: about the last 1000 steps). */
  decay: number;
  /** The step at which averaging began (0 for a run that averaged from the start). */
  since: number;
  /** Updates so far: early ones use a smaller decay, so the average is not stuck at its start. */
  updates: number;
}

/**
 * An exponential moving average of the trainable weights, updated after every optimiser step:
 * avg ← avg + (1 − d)(w − avg) with d = min(decay, (1 + n)/(10 + n)) after n updates (TensorFlow's
 * ExponentialMovingAverage with num_updates). The averaged network is what evaluations score and
 * what is shipped: it is smoother than the last step's weights when the learning rate is high.
 */
export class WeightAverage {
  private constructor(
    private readonly averages: tf.Variable[],
    readonly state: EmaState,
  ) {}

  /** Starts the average at the variables' current values. */
  static start(variables: readonly tf.Variable[], decay: number, since: number): WeightAverage {
    if (!(decay > 0 && decay < 1)) throw new Error(`EMA decay must be in (0, 1) (got ${decay})`);
    return new WeightAverage(
      variables.map((v) => tf.variable(v, false)),
      { decay, since, updates: 0 },
    );
  }

  /** An average saved by export(), in the variables' order and shapes. */
  static restore(variables: readonly tf.Variable[], values: readonly Float32Array[], state: EmaState): WeightAverage {
    if (values.length !== variables.length) throw new Error(`weight average holds ${values.length} arrays for ${variables.length} weights`);
    values.forEach((a, i) => {
      if (a.length !== variables[i]!.size) throw new Error(`weight average: ${a.length} values for ${variables[i]!.name} (${variables[i]!.size})`);
    });
    return new WeightAverage(
      tf.tidy(() => variables.map((v, i) => tf.variable(tf.tensor(values[i]!, v.shape), false))),
      { ...state },
    );
  }

  /** The decay the next update uses. */
  get currentDecay(): number {
    const n = this.state.updates;
    return Math.min(this.state.decay, (1 + n) / (10 + n));
  }

  /** The averages themselves (the optimiser's fused step reads them). */
  get values(): readonly tf.Variable[] {
    return this.averages;
  }

  /** Takes the next values computed elsewhere (the optimiser's step, with rate 1 − currentDecay). */
  accept(next: readonly tf.Tensor[]): void {
    if (next.length !== this.averages.length) throw new Error(`weight average: ${next.length} new values for ${this.averages.length} weights`);
    this.averages.forEach((a, i) => a.assign(next[i]!));
    this.state.updates += 1;
  }

  update(variables: readonly tf.Variable[]): void {
    const rate = 1 - this.currentDecay;
    tf.tidy(() => {
      this.averages.forEach((avg, i) => avg.assign(tf.add(avg, tf.mul(tf.sub(variables[i]!, avg), rate))));
    });
    this.state.updates += 1;
  }

  async export(): Promise<Float32Array[]> {
    return Promise.all(this.averages.map(async (a) => new Float32Array((await a.data()) as Float32Array)));
  }

  /** A new network with the averaged weights (the caller disposes it); `model` is left as it is. */
  averagedModel(model: tf.LayersModel): tf.LayersModel {
    const copy = buildNet(configOf(model), { name: model.name });
    const trainable = new Set(model.trainableWeights.map((w) => w.originalName));
    if (copy.weights.length !== model.weights.length || model.weights.some((w) => !trainable.has(w.originalName))) {
      copy.dispose();
      throw new Error('averagedModel: the network has weights that are not trained (the average covers trainable weights only)');
    }
    copy.setWeights(this.averages);
    return copy;
  }

  dispose(): void {
    tf.dispose(this.averages);
  }
}
