import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { effectiveReceptiveField, massRadius, receptiveFieldChart, receptiveFieldCharts, supportBox } from '../../src/viz/erf';
import { buildNet } from '../../src/model/net';
import { VARIANTS } from '../../src/model/config';
import { rejectsWithUsage, seeded, startBackendForTest } from '../helpers';

test.before(() => startBackendForTest('wasm'));

/** k stacked 3×3 'same' convs with seeded weights: theoretical field (2k+1)². */
function stack(k: number, size: number, relu: boolean): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 3] });
  let x: tf.SymbolicTensor = input;
  for (let i = 1; i <= k; i++) {
    const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: relu ? 'relu' : 'linear', name: `c${i}` });
    x = conv.apply(x) as tf.SymbolicTensor;
    const [kernel, bias] = conv.getWeights();
    conv.setWeights([tf.tensor(seeded(kernel!.size, 10 + i), kernel!.shape), tf.tensor(seeded(bias!.size, 20 + i), bias!.shape)]);
  }
  return tf.model({ inputs: input, outputs: x });
}

test('stacked 3×3 convs: the field fills exactly the (2k+1)² theoretical box around the centre', async () => {
  const images = tf.tensor4d(seeded(2 * 17 * 17 * 3, 1), [2, 17, 17, 3]);
  for (const k of [1, 2, 3]) {
    const model = stack(k, 17, false);
    const rf = await effectiveReceptiveField(model, `c${k}`, images);
    const box = await supportBox(rf.map, 1e-9);
    assert.equal(box, { top: 8 - k, left: 8 - k, height: 2 * k + 1, width: 2 * k + 1 }, `k = ${k}`);
    assert.ok(Math.abs((await rf.map.sum().data())[0]! - 1) < 1e-5, 'normalised to sum 1');
    rf.map.dispose();
    model.dispose();
  }
  images.dispose();
});

test('the field equals |∂ centre / ∂ input| by central finite differences (float64 reference)', async () => {
  const size = 9;
  const model = stack(2, size, true);
  const x = seeded(size * size * 3, 5);
  const images = tf.tensor4d(x, [1, size, size, 3]);
  const rf = await effectiveReceptiveField(model, 'c2', images);
  const ours = await rf.map.data();
  const centreSum = (values: Float32Array) =>
    tf.tidy(() => {
      const out = model.predict(tf.tensor4d(values, [1, size, size, 3])) as tf.Tensor4D;
      return tf.sum(tf.slice(out, [0, 4, 4, 0], [1, 1, 1, 4])).dataSync()[0]!;
    });
  const h = 1e-2;
  const fd = new Float64Array(size * size);
  for (let p = 0; p < size * size; p++)
    for (let c = 0; c < 3; c++) {
      const plus = Float32Array.from(x);
      const minus = Float32Array.from(x);
      plus[p * 3 + c]! += h;
      minus[p * 3 + c]! -= h;
      fd[p]! += Math.abs((centreSum(plus) - centreSum(minus)) / (2 * h));
    }
  const total = fd.reduce((a, b) => a + b, 0);
  let worst = 0;
  fd.forEach((v, i) => (worst = Math.max(worst, Math.abs(v / total - ours[i]!))));
  // ReLU kinks are not crossed by a 1e-2 step for these inputs; what is left is float32 rounding.
  assert.ok(worst < 2e-3, `max |Δ| ${worst}`);
  tf.dispose([images, rf.map]);
  model.dispose();
});

test('massRadius: a point mass has radius 0; a ring of radius 3 has radius 3; bad mass is refused', async () => {
  const point = tf.tidy(() => tf.oneHot(tf.tensor1d([12], 'int32'), 25).reshape([5, 5]).toFloat()) as tf.Tensor2D;
  assert.is(await massRadius(point, { y: 2, x: 2 }, 0.5), 0);
  const ring = new Float32Array(9 * 9);
  ring[4 * 9 + 1] = 0.5; // (4, 1): 3 px left of the centre (4, 4)
  ring[4 * 9 + 7] = 0.5;
  const m = tf.tensor2d(ring, [9, 9]);
  assert.is(await massRadius(m, { y: 4, x: 4 }, 0.9), 3);
  await rejectsWithUsage(massRadius(m, { y: 4, x: 4 }, 1.5), /mass must be in/);
  tf.dispose([point, m]);
});

test('on the network: an MSRM branch y_k at level 1 reaches exactly 2k + 5 px (head conv, depthwise conv, k convs)', async () => {
  const model = buildNet(VARIANTS.lite, { seed: 3, height: 32, width: 32 });
  const images = tf.tensor4d(seeded(32 * 32 * 3, 9).map((v) => 0.5 + 0.4 * v), [1, 32, 32, 3]);
  const before = tf.memory().numTensors;
  for (const k of [1, 2, 3, 4]) {
    const rf = await effectiveReceptiveField(model, `em1_b1_y${k}`, images);
    const box = await supportBox(rf.map, 0);
    // Dead ReLUs could only shrink the support; with seeded weights all paths are live.
    assert.is(box.width, 2 * k + 5, `y${k} width`);
    assert.is(box.height, 2 * k + 5, `y${k} height`);
    rf.map.dispose();
  }
  assert.is(tf.memory().numTensors, before, 'no tensors leaked');
  images.dispose();
  model.dispose();
});

test('receptiveFieldChart: the window holds the field and its 50% circle, log values down to the floor, whole-pixel axes from the centre', async () => {
  // A Gaussian field of s.d. 3 px centred at (30, 20) on a 64 × 48 map, normalised.
  const [h, w, cy, cx] = [48, 64, 30, 20];
  const values = new Float32Array(h * w);
  let sum = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) sum += values[y * w + x] = Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / 18);
  values.forEach((v, i) => (values[i] = v / sum));
  const map = tf.tensor2d(values, [h, w]);
  const rf = { map, centre: { y: cy, x: cx }, inputCentre: { y: cy, x: cx } };
  const bundle = await receptiveFieldChart(rf, { decades: 3, margin: 2 });
  const html = String(bundle.data);
  // The figure's data: the JSON array after the div's id in Plotly.newPlot(id, data, layout, …).
  const start = html.indexOf('[', html.indexOf('Plotly.newPlot('));
  let depth = 0;
  let end = start;
  do depth += html[end] === '[' ? 1 : html[end] === ']' ? -1 : 0;
  while (depth > 0 && ++end < html.length);
  const spec = JSON.parse(html.slice(start, end + 1)) as Array<{ z: number[][]; x: number[]; y: number[] }>;
  const { z, x, y } = spec[0]!;
  // 10^-3 of the peak is reached at r = sqrt(2·9·ln 1000) ≈ 11.2 px: the support is ±11, the window ±13 with the margin.
  assert.equal([x[0], x[x.length - 1], y[0], y[y.length - 1]], [-13, 13, -13, 13]);
  assert.ok(x.every((v) => Number.isInteger(v)));
  assert.is(Math.max(...z.flat()), 0, 'the peak is 10^0');
  assert.is(Math.min(...z.flat()), -3, 'values below the floor are drawn at the floor');
  // log10 of the value at (dy, dx) = (2, 1) over the peak: −(4 + 1)/18 / ln 10.
  assert.ok(Math.abs(z[13 + 2]![13 + 1]! + 5 / 18 / Math.LN10) < 1e-5);
  const r50 = await massRadius(map, rf.inputCentre, 0.5);
  assert.match(html, new RegExp(`"type":"circle","xref":"x","yref":"y","x0":-${r50}`));
  assert.match(html, /log₁₀ of peak/);
  // Side by side: one heatmap per field on its own axes, one colour bar.
  const row = String((await receptiveFieldCharts([{ rf, title: 'a' }, { rf, title: 'b' }])).data);
  assert.is(row.match(/"type":"heatmap"/g)!.length, 2);
  assert.is(row.match(/"showscale":true/g)!.length, 1);
  assert.match(row, /"xref":"x2","yref":"y2"/);
  const zero = tf.zeros([h, w]) as tf.Tensor2D;
  assert.match(String((await receptiveFieldChart({ ...rf, map: zero })).data), /dead: no gradient/, 'a dead branch is drawn and named, not an error');
  zero.dispose();
  map.dispose();
});

test.run();
