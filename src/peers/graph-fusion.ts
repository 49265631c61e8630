import * as tf from '@tensorflow/tfjs';
import { GELU } from '../kernels/ops/gelu';
import { LAYER_NORM, type LayerNormAttrs } from '../kernels/ops/layer-norm';
import { CONV2D_GELU } from '../kernels/support/onednn-conv';

/**
 * Fuses the GELUs and layer norms of a tfjs graph model (as MAXIM's converter wrote them, one
 * elementwise kernel per step) into one node each, run by one kernel (kernels/ops/gelu.ts,
 * layer-norm.ts) where the current backend has it. A fused node takes every constant and shape of
 * the ops it replaces as inputs and checks them when it runs: where one is not what the fused kernel
 * computes (another constant, another axis), it runs those ops as the graph had them. So a rewrite
 * never changes what the graph computes, only how many passes over memory it takes.
 */

/** A node of a graph model's topology (model.json's `modelTopology.node`). */
export interface GraphNodeDef {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
  device?: string;
}

/** The ops the fused nodes are registered as (tf.registerOp). */
export const FUSED_GELU_OP = 'DeblurFusedGelu';
export const FUSED_LAYER_NORM_OP = 'DeblurFusedLayerNorm';
export const FUSED_DENSE_OP = 'DeblurFusedDense';
export const FUSED_CONV_OP = 'DeblurFusedConv';

/** Which fusions to make. */
export interface Fusions {
  gelu: boolean;
  layerNorm: boolean;
  /** A dense layer (Einsum over the last axis) with its bias, and the GELU after it where fused. */
  dense: boolean;
  /** A 2-D convolution with its bias, and the leaky ReLU after it. */
  conv: boolean;
}

export interface FusionResult {
  nodes: GraphNodeDef[];
  gelus: number;
  layerNorms: number;
  /** Dense layers fused, and of those, how many with their GELU. */
  dense: number;
  denseGelus: number;
  /** Convolutions fused, and of those, how many with a leaky ReLU. */
  convs: number;
  convLeakyRelus: number;
}

/** The node's name and output index an input reference names ('a', 'a:1'; '^a' is a control input). */
function splitRef(ref: string): { name: string; output: number; control: boolean } {
  const control = ref.startsWith('^');
  const bare = control ? ref.slice(1) : ref;
  const m = /^(.*):(\d+)$/.exec(bare);
  return m ? { name: m[1]!, output: Number(m[2]), control } : { name: bare, output: 0, control };
}

class Graph {
  readonly byName = new Map<string, GraphNodeDef>();
  readonly consumers = new Map<string, GraphNodeDef[]>();

  constructor(nodes: GraphNodeDef[]) {
    for (const n of nodes) this.byName.set(n.name, n);
    for (const n of nodes) {
      for (const ref of n.input ?? []) {
        const { name } = splitRef(ref);
        const list = this.consumers.get(name) ?? [];
        list.push(n);
        this.consumers.set(name, list);
      }
    }
  }

  /** The node producing a data input (its first output only), or undefined. */
  producer(ref: string | undefined, op?: string): GraphNodeDef | undefined {
    if (ref === undefined) return undefined;
    const r = splitRef(ref);
    if (r.control || r.output !== 0) return undefined;
    const n = this.byName.get(r.name);
    return n && (op === undefined || n.op === op) ? n : undefined;
  }

  isConst(ref: string | undefined): boolean {
    return this.producer(ref, 'Const') !== undefined;
  }

  /** The two data inputs of a binary node, or undefined (control inputs, other arity). */
  operands(n: GraphNodeDef | undefined, op: string): [string, string] | undefined {
    if (!n || n.op !== op || n.input?.length !== 2) return undefined;
    if (n.input.some((r) => splitRef(r).control)) return undefined;
    return [n.input[0]!, n.input[1]!];
  }

  /** A commutative node's operands as [the one `first` accepts, the other], or undefined. */
  commuted(n: GraphNodeDef | undefined, op: string, first: (ref: string) => boolean): [string, string] | undefined {
    const o = this.operands(n, op);
    if (!o) return undefined;
    if (first(o[0])) return o;
    if (first(o[1])) return [o[1], o[0]];
    return undefined;
  }

  /** The single consumer of a node's output, or undefined. */
  onlyConsumer(n: GraphNodeDef): GraphNodeDef | undefined {
    const c = this.consumers.get(n.name) ?? [];
    return c.length === 1 ? c[0] : undefined;
  }

  /** Whether every consumer of each internal node is itself internal or the pattern's output. */
  closed(internal: GraphNodeDef[], output: GraphNodeDef): boolean {
    const inside = new Set([...internal, output]);
    return internal.every((n) => (this.consumers.get(n.name) ?? []).every((c) => inside.has(c)));
  }
}

const sameRef = (a: string, b: string): boolean => {
  const p = splitRef(a);
  const q = splitRef(b);
  return !p.control && !q.control && p.name === q.name && p.output === q.output;
};

interface Match {
  /** Nodes the fused node replaces (the output node keeps its name and becomes the fused node). */
  internal: GraphNodeDef[];
  output: GraphNodeDef;
  fused: GraphNodeDef;
}

/**
 * GELU, tanh form, as jax2tf writes it: y = (H·x) · (ONE + tanh(K · (x + (A·x) · x²))), from its
 * Tanh node; constants A, H, K, ONE (0.044715, 0.5, √(2/π), 1 where it is a GELU).
 */
function matchGelu(g: Graph, tanh: GraphNodeDef): Match | undefined {
  if (tanh.input?.length !== 1) return undefined;
  const km = g.producer(tanh.input[0], 'Mul');
  const k = g.commuted(km, 'Mul', (r) => g.isConst(r));
  if (!km || !k) return undefined;
  const s = g.producer(k[1], 'AddV2');
  const sOps = g.operands(s, 'AddV2');
  if (!s || !sOps) return undefined;
  for (const [x, bRef] of [sOps, [sOps[1], sOps[0]] as [string, string]]) {
    const b = g.producer(bRef, 'Mul');
    const isSquareOfX = (r: string) => {
      const sq = g.producer(r, 'Square');
      return sq !== undefined && sq.input?.length === 1 && sameRef(sq.input[0]!, x);
    };
    const bOps = g.commuted(b, 'Mul', isSquareOfX);
    if (!b || !bOps) continue;
    const sq = g.producer(bOps[0], 'Square')!;
    const ax = g.producer(bOps[1], 'Mul');
    const a = g.commuted(ax, 'Mul', (r) => g.isConst(r));
    if (!ax || !a || !sameRef(a[1], x)) continue;
    const e = g.onlyConsumer(tanh);
    const one = g.commuted(e, 'AddV2', (r) => g.isConst(r));
    if (!e || !one || !sameRef(one[1], tanh.name)) continue;
    const y = g.onlyConsumer(e);
    const yOps = g.commuted(y, 'Mul', (r) => sameRef(r, e.name));
    if (!y || !yOps) continue;
    const hx = g.producer(yOps[1], 'Mul');
    const h = g.commuted(hx, 'Mul', (r) => g.isConst(r));
    if (!hx || !h || !sameRef(h[1], x)) continue;
    const internal = [km, s, b, sq, ax, tanh, e, hx];
    if (new Set(internal).size !== internal.length || !g.closed(internal, y)) continue;
    return { internal, output: y, fused: { name: y.name, op: FUSED_GELU_OP, input: [x, a[0], h[0], k[0], one[0]], attr: {} } };
  }
  return undefined;
}

/**
 * Layer norm as flax writes it (jax2tf, grappler-optimised), from its Rsqrt node:
 *   mean = Sum(x, AX1) · R1, var = max(ZERO, Sum(x², AX2) · R2 − mean²),
 *   y = (x − Reshape(mean, SM)) · (rsqrt(Reshape(var, SV) + EPS) · GAMMA) + BETA.
 */
function matchLayerNorm(g: Graph, rsqrt: GraphNodeDef): Match | undefined {
  if (rsqrt.input?.length !== 1) return undefined;
  const ve = g.producer(rsqrt.input[0], 'AddV2');
  const eps = g.commuted(ve, 'AddV2', (r) => g.isConst(r));
  const vR = g.producer(eps?.[1], 'Reshape');
  const vm = g.producer(vR?.input?.[0], 'Maximum');
  const zero = g.commuted(vm, 'Maximum', (r) => g.isConst(r));
  const v = g.producer(zero?.[1], 'Sub');
  const vOps = g.operands(v, 'Sub');
  if (!ve || !eps || !vR || vR.input?.length !== 2 || !vm || !zero || !v || !vOps) return undefined;
  const ms = g.producer(vOps[0], 'Mul');
  const r2 = g.commuted(ms, 'Mul', (r) => g.isConst(r));
  const s2 = g.producer(r2?.[1], 'Sum');
  const sq = g.producer(s2?.input?.[0], 'Square');
  const m2 = g.producer(vOps[1], 'Square');
  const mean = g.producer(m2?.input?.[0], 'Mul');
  const r1 = g.commuted(mean, 'Mul', (r) => g.isConst(r));
  const s1 = g.producer(r1?.[1], 'Sum');
  if (!ms || !r2 || !s2 || !sq || !m2 || !mean || !r1 || !s1) return undefined;
  const x = s1.input?.[0];
  const keepsDims = (n: GraphNodeDef) => (n.attr?.['keep_dims'] as { b?: boolean } | undefined)?.b === true;
  if (!x || s1.input?.length !== 2 || s2.input?.length !== 2 || keepsDims(s1) || keepsDims(s2)) return undefined;
  if (!g.isConst(s1.input[1]) || !g.isConst(s2.input![1]) || sq.input?.length !== 1 || !sameRef(sq.input[0]!, x)) return undefined;
  const gm = g.onlyConsumer(rsqrt);
  const gamma = g.commuted(gm, 'Mul', (r) => g.isConst(r));
  if (!gm || !gamma || !sameRef(gamma[1], rsqrt.name)) return undefined;
  const y0 = g.onlyConsumer(gm);
  const y0Ops = g.commuted(y0, 'Mul', (r) => sameRef(r, gm.name));
  const xc = g.producer(y0Ops?.[1], 'Sub');
  const xcOps = g.operands(xc, 'Sub');
  const meanR = g.producer(xcOps?.[1], 'Reshape');
  if (!y0 || !y0Ops || !xc || !xcOps || !sameRef(xcOps[0], x) || !meanR || meanR.input?.length !== 2 || !sameRef(meanR.input[0]!, mean.name)) return undefined;
  const y = g.onlyConsumer(y0);
  const beta = g.commuted(y, 'AddV2', (r) => g.isConst(r));
  if (!y || !beta || !sameRef(beta[1], y0.name)) return undefined;
  const internal = [ve, vR, vm, v, ms, s2, sq, m2, mean, s1, rsqrt, gm, y0, xc, meanR];
  if (new Set(internal).size !== internal.length || !g.closed(internal, y)) return undefined;
  const input = [x, s1.input[1]!, r1[0], s2.input![1]!, r2[0], zero[0], eps[0], gamma[0], beta[0], meanR.input[1]!, vR.input![1]!];
  return { internal, output: y, fused: { name: y.name, op: FUSED_LAYER_NORM_OP, input, attr: {} } };
}

/** The equation of a dense layer over the last axis, as jax2tf writes flax's Dense. */
const DENSE_EQUATION = 'abcg,gf->abcf';
const attrString = (n: GraphNodeDef, name: string): string | undefined => {
  const s = (n.attr?.[name] as { s?: string } | undefined)?.s;
  return s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8');
};

/**
 * A dense layer: Einsum(x, W) over x's last axis + a constant bias B, and where the bias's only
 * consumer is a fused GELU of it, that GELU too (its constants become inputs 4–7).
 */
function matchDense(g: Graph, einsum: GraphNodeDef): Match | undefined {
  const ops = g.operands(einsum, 'Einsum');
  if (!ops || attrString(einsum, 'equation') !== DENSE_EQUATION) return undefined;
  const add = g.onlyConsumer(einsum);
  const bias = g.commuted(add, 'AddV2', (r) => g.isConst(r));
  if (!add || !bias || !sameRef(bias[1], einsum.name)) return undefined;
  const gelu = g.onlyConsumer(add);
  if (gelu?.op === FUSED_GELU_OP && sameRef(gelu.input![0]!, add.name) && gelu.input!.slice(1).every((r) => !sameRef(r, add.name))) {
    if (!g.closed([einsum, add], gelu)) return undefined;
    return { internal: [einsum, add], output: gelu, fused: { name: gelu.name, op: FUSED_DENSE_OP, input: [...ops, bias[0], ...gelu.input!.slice(1)], attr: { equation: einsum.attr!['equation'] } } };
  }
  if (!g.closed([einsum], add)) return undefined;
  return { internal: [einsum], output: add, fused: { name: add.name, op: FUSED_DENSE_OP, input: [...ops, bias[0]], attr: { equation: einsum.attr!['equation'] } } };
}

/**
 * A 2-D convolution (NHWC, SAME or VALID) + a constant bias B, and the leaky ReLU jax writes after
 * it where there is one: where(y ≥ C0, y, CA · y) (its constants become inputs 4 and 5).
 */
function matchConv(g: Graph, conv: GraphNodeDef): Match | undefined {
  const ops = g.operands(conv, 'Conv2D');
  const padding = attrString(conv, 'padding');
  if (!ops || (attrString(conv, 'data_format') ?? 'NHWC') !== 'NHWC' || (padding !== 'SAME' && padding !== 'VALID')) return undefined;
  const add = g.onlyConsumer(conv);
  const bias = g.commuted(add, 'AddV2', (r) => g.isConst(r));
  if (!add || !bias || !sameRef(bias[1], conv.name)) return undefined;
  const users = g.consumers.get(add.name) ?? [];
  const ge = users.find((n) => n.op === 'GreaterEqual');
  const mul = users.find((n) => n.op === 'Mul');
  const select = users.find((n) => n.op === 'SelectV2');
  const geOps = g.operands(ge, 'GreaterEqual');
  const slope = g.commuted(mul, 'Mul', (r) => g.isConst(r));
  const selOps = select?.input;
  const leaky = users.length === 3 && ge && mul && select && geOps && slope && selOps?.length === 3
    && sameRef(geOps[0], add.name) && g.isConst(geOps[1]) && sameRef(slope[1], add.name)
    && sameRef(selOps[0]!, ge.name) && sameRef(selOps[1]!, add.name) && sameRef(selOps[2]!, mul.name);
  if (leaky) {
    const internal = [conv, add, ge, mul];
    if (!g.closed(internal, select)) return undefined;
    return { internal, output: select, fused: { name: select.name, op: FUSED_CONV_OP, input: [...ops, bias[0], geOps[1], slope[0]], attr: { ...conv.attr } } };
  }
  if (!g.closed([conv], add)) return undefined;
  return { internal: [conv], output: add, fused: { name: add.name, op: FUSED_CONV_OP, input: [...ops, bias[0]], attr: { ...conv.attr } } };
}

/** One pass: every match `find` makes from a node, taken where it overlaps no match taken before. */
function fusePass(nodes: GraphNodeDef[], find: (g: Graph, n: GraphNodeDef) => Match | undefined): { nodes: GraphNodeDef[]; matches: Match[] } {
  const g = new Graph(nodes);
  const removed = new Set<GraphNodeDef>();
  const replaced = new Map<GraphNodeDef, GraphNodeDef>();
  const matches: Match[] = [];
  for (const n of nodes) {
    const m = find(g, n);
    if (!m || [...m.internal, m.output].some((x) => removed.has(x) || replaced.has(x))) continue;
    m.internal.forEach((x) => removed.add(x));
    replaced.set(m.output, m.fused);
    matches.push(m);
  }
  return { nodes: nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n), matches };
}

/**
 * The graph with every fusion asked for made (the nodes given are not changed): first GELUs and
 * layer norms, then dense layers and convolutions with what follows them.
 */
export function fuseGraph(nodes: GraphNodeDef[], what: Fusions): FusionResult {
  const first = fusePass(nodes, (g, n) => {
    if (what.gelu && n.op === 'Tanh') return matchGelu(g, n);
    if (what.layerNorm && n.op === 'Rsqrt') return matchLayerNorm(g, n);
    return undefined;
  });
  const second = fusePass(first.nodes, (g, n) => {
    if (what.dense && n.op === 'Einsum') return matchDense(g, n);
    if (what.conv && n.op === 'Conv2D') return matchConv(g, n);
    return undefined;
  });
  const count = (ms: Match[], op: string, inputs?: number) => ms.filter((m) => m.fused.op === op && (inputs === undefined || m.fused.input!.length === inputs)).length;
  return {
    nodes: second.nodes,
    gelus: count(first.matches, FUSED_GELU_OP),
    layerNorms: count(first.matches, FUSED_LAYER_NORM_OP),
    dense: count(second.matches, FUSED_DENSE_OP),
    denseGelus: count(second.matches, FUSED_DENSE_OP, 7),
    convs: count(second.matches, FUSED_CONV_OP),
    convLeakyRelus: count(second.matches, FUSED_CONV_OP, 5),
  };
}

// ---- Running the fused nodes ----

/** A scalar constant's value, read once per tensor (the graph's constants live as long as the model). */
const scalars = new WeakMap<tf.Tensor, number | undefined>();
function scalar(t: tf.Tensor): number | undefined {
  if (!scalars.has(t)) scalars.set(t, t.size === 1 && t.dtype === 'float32' ? t.dataSync()[0] : undefined);
  return scalars.get(t);
}
const near = (v: number | undefined, want: number): boolean => v !== undefined && Math.abs(v - want) <= 1e-6 * Math.abs(want);

const GELU_CONSTANTS = { a: 0.044715, h: 0.5, k: Math.sqrt(2 / Math.PI), one: 1 };

/** Whether a fused GELU's constants [A, H, K, ONE] are GELU's. */
function geluConstants([a, h, k, one]: tf.Tensor[]): boolean {
  return a !== undefined && h !== undefined && k !== undefined && one !== undefined
    && near(scalar(a), GELU_CONSTANTS.a) && near(scalar(h), GELU_CONSTANTS.h) && near(scalar(k), GELU_CONSTANTS.k) && near(scalar(one), GELU_CONSTANTS.one);
}

function runGelu(inputs: tf.Tensor[]): tf.Tensor {
  const [x, a, h, k, one] = inputs as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const fusable = tf.getKernel(GELU, tf.getBackend()) !== undefined && x.dtype === 'float32' && geluConstants([a, h, k, one]);
  if (fusable) return tf.engine().runKernel(GELU, { x }) as tf.Tensor;
  // The graph's own ops, in its order.
  return tf.tidy(() => tf.mul(tf.mul(h, x), tf.add(one, tf.tanh(tf.mul(k, tf.add(x, tf.mul(tf.mul(a, x), tf.square(x))))))));
}

/** Whether a reduction's axes (an int32 tensor) are exactly the last axis of a rank-`rank` tensor. */
function isLastAxis(axes: tf.Tensor, rank: number): boolean {
  if (axes.size !== 1 || axes.dtype !== 'int32') return false;
  const a = axes.dataSync()[0]!;
  return a === rank - 1 || a === -1;
}

/** Whether a shape tensor reads [...x's shape without its last axis, 1]. */
function isKeptDims(shape: tf.Tensor, x: tf.Tensor): boolean {
  if (shape.dtype !== 'int32' || shape.size !== x.rank) return false;
  const s = shape.dataSync();
  return x.shape.every((d, i) => s[i] === (i === x.rank - 1 ? 1 : d));
}

/** Whether a float32 constant is [1, …, 1, channels], broadcasting along the last axis of a rank-`rank` tensor without adding axes. */
function isPerChannel(t: tf.Tensor, channels: number | undefined, rank: number): boolean {
  return t.dtype === 'float32' && t.rank >= 1 && t.rank <= rank && t.shape.at(-1) === channels && t.shape.slice(0, -1).every((d) => d === 1);
}

function runLayerNorm(inputs: tf.Tensor[]): tf.Tensor {
  const [x, ax1, r1, ax2, r2, zero, eps, gamma, beta, shapeM, shapeV] = inputs as tf.Tensor[] as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const c = x.shape.at(-1) ?? 0;
  const epsilon = scalar(eps);
  const fusable = tf.getKernel(LAYER_NORM, tf.getBackend()) !== undefined && x.dtype === 'float32' && x.rank >= 1 && c > 0
    && isLastAxis(ax1, x.rank) && isLastAxis(ax2, x.rank) && near(scalar(r1), 1 / c) && near(scalar(r2), 1 / c) && scalar(zero) === 0
    && epsilon !== undefined && isPerChannel(gamma, c, x.rank) && isPerChannel(beta, c, x.rank) && isKeptDims(shapeM, x) && isKeptDims(shapeV, x);
  if (fusable) {
    const attrs: LayerNormAttrs = { epsilon };
    return tf.engine().runKernel(LAYER_NORM, { x, gamma, beta }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
  }
  // The graph's own ops, in its order.
  return tf.tidy(() => {
    const axes = (t: tf.Tensor) => Array.from(t.dataSync());
    const shape = (t: tf.Tensor) => Array.from(t.dataSync());
    const mean = tf.mul(tf.sum(x, axes(ax1), false), r1);
    const variance = tf.maximum(zero, tf.sub(tf.mul(tf.sum(tf.square(x), axes(ax2), false), r2), tf.square(mean)));
    const scale = tf.mul(tf.rsqrt(tf.add(tf.reshape(variance, shape(shapeV)), eps)), gamma);
    return tf.add(tf.mul(tf.sub(x, tf.reshape(mean, shape(shapeM))), scale), beta);
  });
}

/** x · W over x's last axis plus B, as a 1 × 1 convolution with its bias; and GELU (inputs 4–7) where given. */
function runDense(inputs: tf.Tensor[], equation: string): tf.Tensor {
  const [x, w, b, ...gelu] = inputs as [tf.Tensor, tf.Tensor, tf.Tensor, ...tf.Tensor[]];
  return tf.tidy(() => {
    const f = w.shape[1];
    const fits = equation === DENSE_EQUATION.toLowerCase() && x.dtype === 'float32' && w.dtype === 'float32' && x.rank === 4 && w.rank === 2
      && x.shape[3] === w.shape[0] && f !== undefined && isPerChannel(b, f, 4);
    if (!fits) {
      // The graph's own ops.
      const y = tf.add(tf.einsum(equation, x, w), b);
      return gelu.length ? runGelu([y, ...gelu]) : y;
    }
    const filter = tf.reshape(w, [1, 1, w.shape[0]!, f]) as tf.Tensor4D;
    const bias = tf.reshape(b, [f]);
    if (gelu.length && geluConstants(gelu) && tf.getKernel(CONV2D_GELU, tf.getBackend()) !== undefined) {
      const attrs = { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], activation: 'linear' };
      return tf.engine().runKernel(CONV2D_GELU, { x, filter, bias }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    }
    const y = tf.fused.conv2d({ x: x as tf.Tensor4D, filter, strides: 1, pad: 'valid', bias });
    return gelu.length ? runGelu([y, ...gelu]) : y;
  });
}

/** A convolution (the node's own attributes) plus B, and where given the leaky ReLU where(y ≥ C0, y, CA · y). */
function runConv(inputs: tf.Tensor[], attrs: Record<string, unknown>): tf.Tensor {
  const [x, filter, b, c0, ca] = inputs as [tf.Tensor4D, tf.Tensor4D, tf.Tensor, tf.Tensor?, tf.Tensor?];
  const strides = attrs['strides'] as number[];
  const dilations = (attrs['dilations'] as number[] | undefined) ?? [1, 1, 1, 1];
  const pad = String(attrs['padding']).toLowerCase() as 'same' | 'valid';
  const s: [number, number] = [strides[1]!, strides[2]!];
  const d: [number, number] = [dilations[1]!, dilations[2]!];
  return tf.tidy(() => {
    const c = filter.shape[3];
    const alpha = ca === undefined ? undefined : scalar(ca);
    const leakyFits = c0 === undefined || (scalar(c0) === 0 && alpha !== undefined);
    const fits = x.dtype === 'float32' && filter.dtype === 'float32' && isPerChannel(b, c, 4) && leakyFits;
    if (fits) {
      const activation = c0 === undefined ? 'linear' : 'leakyrelu';
      return tf.fused.conv2d({ x, filter, strides: s, pad, dilations: d, bias: tf.reshape(b, [c]), activation, leakyreluAlpha: alpha });
    }
    // The graph's own ops.
    const y = tf.add(tf.conv2d(x, filter, s, pad, 'NHWC', d), b);
    return c0 === undefined || ca === undefined ? y : tf.where(tf.greaterEqual(y, c0), y, tf.mul(ca, y));
  });
}

let registered = false;

/** Registers the fused nodes' ops with tfjs's graph executor (once). */
export function registerFusedOps(): void {
  if (registered) return;
  tf.registerOp(FUSED_GELU_OP, (node) => runGelu(node.inputs));
  tf.registerOp(FUSED_LAYER_NORM_OP, (node) => runLayerNorm(node.inputs));
  tf.registerOp(FUSED_DENSE_OP, (node) => runDense(node.inputs, String(node.attrs['equation'])));
  tf.registerOp(FUSED_CONV_OP, (node) => runConv(node.inputs, node.attrs));
  registered = true;
}

/**
 * The fusions worth making on the current backend: those whose kernels it has (elsewhere a fused
 * node would only run the graph's own ops). Dense layers and convolutions run as tfjs's fused
 * convolutions, which the native addon computes with their bias and activation in one primitive.
 */
export function fusionsForBackend(): Fusions {
  const backend = tf.getBackend();
  const native = tf.getKernel(CONV2D_GELU, backend) !== undefined;
  return { gelu: tf.getKernel(GELU, backend) !== undefined, layerNorm: tf.getKernel(LAYER_NORM, backend) !== undefined, dense: native, conv: native };
}
