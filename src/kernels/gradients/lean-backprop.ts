import * as tf from '@tensorflow/tfjs';

/**
 * Backpropagation that frees memory as it goes.
 *
 * tfjs's engine keeps every tensor a gradient pass touches until the pass ends: the activations
 * each node saved for its backward step, and the gradient of every intermediate tensor. For a
 * deep network at a large crop that is most of the training step's memory (the wasm heap caps it
 * at 4 GiB). Walking the tape backwards, once a node's input gradients are computed, nothing
 * else needs that node's saved activations or its outputs' gradients (every consumer of a tensor
 * comes after its producer on the tape), so both are freed there.
 *
 * This replaces `Engine.gradients` with the same algorithm (tape filtering, then a reverse walk
 * with the same checks), plus that freeing. Higher-order gradients (a gradient pass inside
 * another) keep tfjs's behaviour: there the outer pass may still need the tape.
 */

interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
}

/** The parts of tfjs-core's Engine this uses (tfjs 4.22; checked at install). */
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(nameOrFn: string | (() => T), fn?: () => T): T;
  gradients: GradientsFn;
}

type GradientsFn = (
  f: () => tf.Tensor,
  xs: tf.Tensor[],
  dy?: tf.Tensor,
  allowNoGradients?: boolean,
) => { value: tf.Tensor; grads: tf.Tensor[] };

let original: GradientsFn | undefined;

/** Installs the freeing backward pass on tfjs's engine. Idempotent. */
export function installLeanBackprop(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  for (const m of ['scopedRun', 'startTape', 'endTape', 'tidy', 'gradients'] as const) {
    if (typeof engine[m] !== 'function') throw new Error(`this tfjs engine has no ${m}(): lean backprop needs tfjs-core 4.x`);
  }
  if (original !== undefined) return;
  original = engine.gradients;
  engine.gradients = function (this: EngineInternals, f, xs, dy, allowNoGradients = false) {
    return leanGradients(this, f, xs, dy, allowNoGradients);
  };
}

/** Puts tfjs's own backward pass back (for comparisons in tests and the benchmark). */
export function uninstallLeanBackprop(): void {
  if (original === undefined) return;
  (tf.engine() as unknown as EngineInternals).gradients = original;
  original = undefined;
}

function leanGradients(engine: EngineInternals, f: () => tf.Tensor, xs: tf.Tensor[], dy: tf.Tensor | undefined, allowNoGradients: boolean): { value: tf.Tensor; grads: tf.Tensor[] } {
  if (xs.length === 0) throw new Error('gradients() received an empty list of xs.');
  if (dy != null && dy.dtype !== 'float32') throw new Error(`dy must have 'float32' dtype, but has '${dy.dtype}'`);
  const y = engine.scopedRun(
    () => engine.startTape(),
    () => engine.endTape(),
    () => engine.tidy('forward', f),
  );
  if (!(y instanceof tf.Tensor)) throw new Error('The result y returned by f() must be a tensor.');
  const tape = engine.state.activeTape!;
  const path = nodesFromXToY(tape, xs, y);
  if (!allowNoGradients && path.length === 0) {
    throw new Error('Cannot compute gradient of y=f(x) with respect to x. Make sure that the f you passed encloses all operations that lead from x to y.');
  }
  const freeAsWeGo = engine.state.gradientDepth === 0;
  return engine.tidy('backward', () => {
    const grads = new GradientMap(new Set(xs.map((x) => x.id)));
    if (dy != null) grads.pin(dy); // the caller's tensor: never freed here
    grads.set(y.id, dy ?? tf.ones(y.shape));
    for (let i = path.length - 1; i >= 0; i--) {
      const node = path[i]!;
      if (node.gradient == null) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
      const inputGradients = node.gradient(node.outputs.map((o) => grads.get(o.id) ?? null));
      for (const inputName in node.inputs) {
        if (!(inputName in inputGradients)) {
          throw new Error(`Cannot backprop through input ${inputName}. Available gradients found: ${Object.keys(inputGradients)}.`);
        }
        const dx = engine.tidy(() => inputGradients[inputName]!());
        const x = node.inputs[inputName]!;
        if (dx.dtype !== 'float32') {
          throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${inputName} must have 'float32' dtype, but has '${dx.dtype}'`);
        }
        if (!tf.util.arraysEqual(dx.shape, x.shape)) {
          throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input '${inputName}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`);
        }
        grads.accumulate(x.id, dx);
      }
      if (freeAsWeGo) {
        // The node's own saved activations, then its outputs' gradients: nothing earlier uses them.
        if (node.saved) {
          node.saved.forEach((t) => t.dispose());
          node.saved.length = 0; // the same array as the tape's node: nothing disposes them twice
        }
        node.outputs.forEach((o) => grads.release(o.id));
      }
    }
    const result = xs.map((x) => grads.get(x.id)!);
    if (engine.state.gradientDepth === 0) {
      // As tfjs does: the tape is done, free what nodes off the x→y path saved.
      engine.state.activeTape!.forEach((node) => node.saved?.forEach((t) => t.dispose()));
      engine.state.activeTape = null;
    }
    return { value: y, grads: result };
  });
}

/**
 * Gradients by tensor id. A tensor that several nodes read gets one gradient from each; they are
 * kept as they come and summed once, with AddN, when the gradient is first read (one pass over
 * all of them, where adding each as it came made a pass per addition). A gradient function may
 * hand back the same tensor object for two inputs, so tensors are counted, and freed only when
 * nothing here refers to them any more.
 */
class GradientMap {
  private readonly byId = new Map<number, tf.Tensor[]>();
  private readonly refs = new Map<tf.Tensor, number>();

  constructor(private readonly keepIds: Set<number>) {}

  get(id: number): tf.Tensor | undefined {
    const parts = this.byId.get(id);
    if (parts === undefined) return undefined;
    if (parts.length > 1) {
      const sum = tf.addN(parts);
      parts.forEach((t) => this.unrefTensor(t));
      this.byId.set(id, [sum]);
      this.ref(sum);
    }
    return parts.length > 1 ? this.byId.get(id)![0] : parts[0];
  }

  set(id: number, t: tf.Tensor): void {
    this.byId.set(id, [t]);
    this.ref(t);
  }

  accumulate(id: number, dx: tf.Tensor): void {
    const parts = this.byId.get(id);
    if (parts === undefined) {
      this.set(id, dx);
      return;
    }
    parts.push(dx);
    this.ref(dx);
  }

  /** Holds one extra reference, so that `t` is never freed by this map. */
  pin(t: tf.Tensor): void {
    this.ref(t);
  }

  /** Drops the gradient of `id` unless it is one of the requested ones. */
  release(id: number): void {
    if (this.keepIds.has(id)) return;
    const parts = this.byId.get(id);
    if (parts === undefined) return;
    this.byId.delete(id);
    parts.forEach((t) => this.unrefTensor(t));
  }

  private ref(t: tf.Tensor): void {
    this.refs.set(t, (this.refs.get(t) ?? 0) + 1);
  }

  private unrefTensor(t: tf.Tensor): void {
    const n = (this.refs.get(t) ?? 1) - 1;
    if (n > 0) {
      this.refs.set(t, n);
    } else {
      this.refs.delete(t);
      t.dispose();
    }
  }
}

/** The tape nodes on a path from some x to y, with inputs not depending on any x pruned (tfjs's getFilteredNodesXToY). */
function nodesFromXToY(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromX = new Set(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((input) => fromX.has(input.id))) {
      node.outputs.forEach((o) => fromX.add(o.id));
      nodesFromX.add(node.id);
    }
  }
  const leadsToY = new Set([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (node.outputs.some((o) => leadsToY.has(o.id))) {
      Object.values(node.inputs).forEach((input) => leadsToY.add(input.id));
      nodesToY.add(node.id);
    }
  }
  return tape
    .filter((node) => nodesFromX.has(node.id) && nodesToY.has(node.id))
    .map((node) => ({
      ...node,
      inputs: Object.fromEntries(Object.entries(node.inputs).filter(([, input]) => fromX.has(input.id))),
      outputs: node.outputs,
    }));
}
