import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { fuseGraph, FUSED_CONV_OP, FUSED_DENSE_OP, FUSED_GELU_OP, FUSED_LAYER_NORM_OP, fusionsForBackend, registerFusedOps, type GraphNodeDef } from '../../src/peers/graph-fusion';
import { MAXIM_DIR, maximUnavailable } from '../../src/peers/maxim';
import { relError, seeded, startBackendForTest } from '../helpers';

// A small graph written the way jax2tf writes MAXIM's (the same ops, operand orders and constants):
// a convolution with bias and leaky ReLU, a layer norm, a dense layer with GELU, a dense layer, and a
// "GELU" whose cubic constant is not GELU's. The fused graph must compute what the graph computes,
// on the native kernels and on cpu (where every fused node runs the graph's own ops).

const H = 6;
const W = 7;
const C = 8;
const ALL = { gelu: true, layerNorm: true, dense: true, conv: true };

class GraphBuilder {
  readonly nodes: GraphNodeDef[] = [];
  readonly specs: tf.io.WeightsManifestEntry[] = [];
  private readonly data: Float32Array[] = [];
  private seed = 100;

  node(name: string, op: string, input: string[], attr: Record<string, unknown> = {}): string {
    this.nodes.push({ name, op, input, attr: { T: { type: 'DT_FLOAT' }, ...attr } });
    return name;
  }

  constant(name: string, values: number[] | Float32Array, shape: number[], dtype: 'float32' | 'int32' = 'float32'): string {
    const type = dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32';
    this.nodes.push({ name, op: 'Const', input: [], attr: { value: { tensor: { dtype: type, tensorShape: { dim: shape.map((size) => ({ size: String(size) })) } } }, dtype: { type } } });
    this.specs.push({ name, shape, dtype });
    this.data.push(dtype === 'float32' ? Float32Array.from(values) : new Float32Array(Int32Array.from(values).buffer));
    return name;
  }

  random(name: string, shape: number[], scale = 0.3): string {
    return this.constant(name, seeded(shape.reduce((p, d) => p * d, 1), this.seed++).map((v) => v * scale), shape);
  }

  artifacts(nodes = this.nodes): tf.io.ModelArtifacts {
    const bytes = new Uint8Array(this.data.reduce((n, d) => n + d.byteLength, 0));
    let at = 0;
    for (const d of this.data) {
      bytes.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
      at += d.byteLength;
    }
    return { modelTopology: { node: nodes, library: {}, versions: {} }, weightSpecs: this.specs, weightData: bytes.buffer };
  }
}

const commutedMul = (g: GraphBuilder, name: string, a: string, b: string) => g.node(name, 'Mul', [a, b]);

/** jax2tf's GELU of `x` (tanh form), its cubic constant given. */
function gelu(g: GraphBuilder, p: string, x: string, cubic = 0.044715): string {
  const ax = commutedMul(g, `${p}/Mul`, g.constant(`${p}/A`, [cubic], []), x);
  const hx = commutedMul(g, `${p}/Mul_6`, g.constant(`${p}/H`, [0.5], []), x);
  const sq = g.node(`${p}/Square`, 'Square', [x]);
  const b = commutedMul(g, `${p}/Mul_4`, ax, sq);
  const s = g.node(`${p}/AddV2`, 'AddV2', [x, b]);
  const k = commutedMul(g, `${p}/Mul_5`, g.constant(`${p}/K`, [Math.sqrt(2 / Math.PI)], []), s);
  const t = g.node(`${p}/Tanh`, 'Tanh', [k]);
  const e = g.node(`${p}/AddV2_1`, 'AddV2', [g.constant(`${p}/ONE`, [1], []), t]);
  return commutedMul(g, `${p}/Mul_7`, hx, e);
}

/** flax's LayerNorm over the last axis as jax2tf writes it. */
function layerNorm(g: GraphBuilder, p: string, x: string, c: number): string {
  const s1 = g.node(`${p}/Sum`, 'Sum', [x, g.constant(`${p}/axis`, [-1], [1], 'int32')], { keep_dims: { b: false } });
  const sq = g.node(`${p}/Square`, 'Square', [x]);
  const s2 = g.node(`${p}/Sum_1`, 'Sum', [sq, g.constant(`${p}/axis_1`, [3], [1], 'int32')], { keep_dims: { b: false } });
  const mean = g.node(`${p}/truediv`, 'Mul', [s1, g.constant(`${p}/recip`, [1 / c], [])]);
  const ms = g.node(`${p}/truediv_1`, 'Mul', [s2, g.constant(`${p}/recip_1`, [1 / c], [])]);
  const meanR = g.node(`${p}/Reshape`, 'Reshape', [mean, g.constant(`${p}/shape`, [1, H, W, 1], [4], 'int32')]);
  const m2 = g.node(`${p}/Square_1`, 'Square', [mean]);
  const xc = g.node(`${p}/Sub_1`, 'Sub', [x, meanR]);
  const v = g.node(`${p}/Sub`, 'Sub', [ms, m2]);
  const vm = g.node(`${p}/Maximum`, 'Maximum', [g.constant(`${p}/zero`, [0], []), v]);
  const vR = g.node(`${p}/Reshape_1`, 'Reshape', [vm, g.constant(`${p}/shape_1`, [1, H, W, 1], [4], 'int32')]);
  const ve = g.node(`${p}/AddV2`, 'AddV2', [vR, g.constant(`${p}/eps`, [1e-6], [])]);
  const r = g.node(`${p}/Rsqrt`, 'Rsqrt', [ve]);
  const gm = g.node(`${p}/Mul_4`, 'Mul', [r, g.random(`${p}/gamma`, [1, 1, 1, c], 1)]);
  const y0 = g.node(`${p}/Mul_5`, 'Mul', [xc, gm]);
  return g.node(`${p}/AddV2_1`, 'AddV2', [y0, g.random(`${p}/beta`, [1, 1, 1, c])]);
}

const DENSE = { equation: { s: Buffer.from('abcg,gf->abcf').toString('base64') }, N: { i: '2' } };

function dense(g: GraphBuilder, p: string, x: string, cin: number, cout: number): string {
  const e = g.node(`${p}/Einsum`, 'Einsum', [x, g.random(`${p}/kernel`, [cin, cout])], DENSE);
  return g.node(`${p}/AddV2`, 'AddV2', [e, g.random(`${p}/bias`, [1, 1, 1, cout])]);
}

function conv(g: GraphBuilder, p: string, x: string, cin: number, cout: number, leaky: boolean): string {
  const ints = (v: number[]) => ({ list: { i: v.map(String) } });
  const attr = { padding: { s: Buffer.from('SAME').toString('base64') }, data_format: { s: Buffer.from('NHWC').toString('base64') }, strides: ints([1, 1, 1, 1]), dilations: ints([1, 1, 1, 1]) };
  const c = g.node(`${p}/Conv2D`, 'Conv2D', [x, g.random(`${p}/filter`, [3, 3, cin, cout])], attr);
  const y = g.node(`${p}/AddV2`, 'AddV2', [c, g.random(`${p}/bias`, [1, 1, 1, cout])]);
  if (!leaky) return y;
  const ge = g.node(`${p}/GreaterEqual`, 'GreaterEqual', [y, g.constant(`${p}/zero`, [0], [])]);
  const mul = g.node(`${p}/Mul`, 'Mul', [g.constant(`${p}/slope`, [0.2], []), y]);
  return g.node(`${p}/SelectV2`, 'SelectV2', [ge, y, mul], { T: { type: 'DT_FLOAT' } });
}

function jaxGraph(): GraphBuilder {
  const g = new GraphBuilder();
  g.nodes.push({ name: 'x', op: 'Placeholder', input: [], attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [1, H, W, 3].map((size) => ({ size: String(size) })) } } } });
  let y = conv(g, 'conv1', 'x', 3, C, true);
  y = layerNorm(g, 'norm', y, C);
  y = gelu(g, 'gelu', dense(g, 'dense1', y, C, 2 * C));
  y = dense(g, 'dense2', y, 2 * C, C);
  y = gelu(g, 'not_gelu', y, 0.05); // fused by shape, run as the graph's ops (its constant is checked)
  y = conv(g, 'conv2', y, C, 3, false);
  return g;
}

async function predict(artifacts: tf.io.ModelArtifacts, x: Float32Array): Promise<Float32Array> {
  const model = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
  const y = model.predict(tf.tensor4d(x, [1, H, W, 3])) as tf.Tensor;
  const values = (await y.data()) as Float32Array;
  y.dispose();
  model.dispose();
  return values;
}

test('fuseGraph finds the conv + bias + leaky ReLU, layer norm, dense + GELU and dense patterns jax2tf writes, and keeps the rest', () => {
  const g = jaxGraph();
  const r = fuseGraph(g.nodes, ALL);
  assert.equal({ gelus: r.gelus, layerNorms: r.layerNorms, dense: r.dense, denseGelus: r.denseGelus, convs: r.convs, convLeakyRelus: r.convLeakyRelus }, { gelus: 2, layerNorms: 1, dense: 2, denseGelus: 2, convs: 2, convLeakyRelus: 1 });
  const ops = r.nodes.filter((n) => n.op !== 'Const').map((n) => n.op);
  assert.equal(ops, ['Placeholder', FUSED_CONV_OP, FUSED_LAYER_NORM_OP, FUSED_DENSE_OP, FUSED_DENSE_OP, FUSED_CONV_OP]);
  // The output keeps its name, so whatever read it still does.
  assert.is(r.nodes.at(-1)!.name, 'conv2/AddV2');
  // Only what is asked for.
  const some = fuseGraph(g.nodes, { gelu: true, layerNorm: false, dense: false, conv: false });
  assert.is(some.gelus, 2);
  assert.is(some.layerNorms + some.dense + some.convs, 0);
  assert.ok(some.nodes.some((n) => n.op === 'Rsqrt') && some.nodes.some((n) => n.op === 'Einsum'));
});

test('fuseGraph leaves a pattern alone when a node inside it is also read from outside', () => {
  const g = jaxGraph();
  // Something else reads the layer norm's centred input and the first GELU's tanh.
  g.node('extra', 'AddV2', ['norm/Sub_1', 'gelu/Tanh']);
  const r = fuseGraph(g.nodes, ALL);
  assert.is(r.layerNorms, 0);
  assert.is(r.gelus, 1);
  assert.is(r.denseGelus, 1);
  assert.ok(r.nodes.some((n) => n.name === 'norm/Sub_1') && r.nodes.some((n) => n.name === 'gelu/Tanh'));
});

test('the fused graph computes what the graph computes: on the native kernels (fused) and on cpu (the graph\'s own ops)', async () => {
  registerFusedOps();
  const g = jaxGraph();
  const x = seeded(H * W * 3, 7).map((v) => v * 2);
  for (const backend of ['wasm', 'cpu'] as const) {
    await startBackendForTest(backend, backend === 'wasm' ? 'native' : undefined);
    if (backend === 'wasm') assert.equal(fusionsForBackend(), ALL, 'the native kernels make every fusion worth it');
    else assert.equal(fusionsForBackend(), { gelu: false, layerNorm: false, dense: false, conv: false });
    const plain = await predict(g.artifacts(), x);
    const fused = await predict(g.artifacts(fuseGraph(g.nodes, ALL).nodes), x);
    const err = relError(fused, plain);
    assert.ok(err < 1e-5, `${backend}: relative error ${err.toExponential(2)}`);
    assert.ok(plain.some((v) => Math.abs(v) > 0.05), `${backend}: the graph's output is not trivially small`);
  }
});

const missing = maximUnavailable();
(missing ? test.skip : test)("on MAXIM's graph every GELU, layer norm, dense layer and convolution is found", () => {
  const json = JSON.parse(fs.readFileSync(path.join(MAXIM_DIR, 'models', 'model.json'), 'utf8')) as { modelTopology: { node: GraphNodeDef[] } };
  const r = fuseGraph(json.modelTopology.node, ALL);
  const count = (op: string) => json.modelTopology.node.filter((n) => n.op === op).length;
  assert.equal([r.gelus, r.layerNorms, r.convs], [count('Tanh'), count('Rsqrt'), count('Conv2D')]);
  assert.is(r.denseGelus, r.gelus);
  assert.is(r.dense, 660); // the Einsums over the last axis followed by a bias (36 others are resizes and grid products)
  assert.is(r.convLeakyRelus, 36);
  assert.ok(!r.nodes.some((n) => n.op === FUSED_GELU_OP), 'every GELU follows a dense layer');
});

test.run();
