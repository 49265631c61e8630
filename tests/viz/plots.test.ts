import * as tf from '@tensorflow/tfjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dffmShares, dffmSharesOver } from '../../src/viz/attention';
import { htmlPage } from '../../src/viz/display';
import { heatmap, lineChart, movingAverage, plotlyFigure } from '../../src/viz/plots';
import { table } from '../../src/viz/table';
import { Probe, disposeProbes } from '../../src/model/probes';
import { buildNet } from '../../src/model/net';
import { VARIANTS } from '../../src/model/config';
import { seeded, seededImages, startBackendForTest } from '../helpers';

test.before(() => startBackendForTest('wasm'));

test('movingAverage equals the naive trailing mean', () => {
  const xs = Array.from(seeded(57, 3));
  for (const w of [1, 4, 50, 100]) {
    const got = movingAverage(xs, w);
    got.forEach((v, i) => {
      const part = xs.slice(Math.max(0, i - w + 1), i + 1);
      assert.ok(Math.abs(v - part.reduce((a, b) => a + b, 0) / part.length) < 1e-9);
    });
  }
  assert.throws(() => movingAverage(xs, 0), /window/);
});

test('chart scripts: data embedded as JSON, non-finite numbers as null, "</script>" cannot escape', () => {
  const b = lineChart([{ name: '</script><b>x', x: [1, 2, 3], y: [1, Infinity, NaN] }]);
  const html = String(b.data);
  assert.ok(b.plotly);
  assert.not.ok(html.includes('</script><b>'), 'title closed the script tag');
  assert.ok(html.includes('"y":[1,null,null]'));
  assert.throws(() => lineChart([{ name: 'a', x: [1], y: [1, 2] }]), /1 x values and 2 y values/);
  // A page with a chart carries plotly.js exactly once however many charts it has.
  const page = htmlPage([b, plotlyFigure([], {}), table(['a'], [[1]])]);
  assert.is(page.split('window.Plotly = Plotly').length - 1, 1);
});

test('heatmap takes a 2-D tensor row by row; other ranks are refused', async () => {
  const t = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
  const html = String((await heatmap(t)).data);
  assert.ok(html.includes('"z":[[1,2,3],[4,5,6]]'));
  const t3 = tf.zeros([1, 2, 3]);
  try {
    await heatmap(t3);
    assert.unreachable('accepted a 3-D tensor');
  } catch (e) {
    assert.match(String(e), /2-D tensor/);
  }
  tf.dispose([t, t3]);
});

test('dffmShares: means over images and channels of real DFFM softmax weights (naive check)', async () => {
  const model = buildNet(VARIANTS.lite, { seed: 4 });
  const probe = new Probe(model);
  const x = tf.tensor4d(seeded(3 * 32 * 32 * 3, 2).map((v) => 0.5 + 0.4 * v), [3, 32, 32, 3]);
  const r = probe.run(x);
  for (const d of r.dffm) {
    const s = await dffmShares(d);
    const w = (await d.weights.array()) as number[][][];
    const [n, c] = [w.length, w[0]!.length];
    for (let k = 0; k < 3; k++) {
      const naive = w.flat().reduce((a, row) => a + row[k]!, 0) / (n * c);
      assert.ok(Math.abs(s.mean[k]! - naive) < 1e-6);
    }
    s.perChannel.forEach((row) => assert.ok(Math.abs(row[0]! + row[1]! + row[2]! - 1) < 1e-5, 'a softmax row sums to 1'));
    assert.is(s.perImage.length, 3);
  }
  disposeProbes(r);
  x.dispose();
  model.dispose();
});

test('dffmSharesOver: probing 5 images 2 at a time gives the shares of one probe over all 5, without leaking', async () => {
  const model = buildNet(VARIANTS.lite, { seed: 6 });
  const probe = new Probe(model);
  const { batch: x, images } = await seededImages(5, 8);
  const whole = probe.run(x);
  const expected = (await Promise.all(whole.dffm.map((d) => dffmShares(d)))).sort((a, b) => a.level - b.level); // levels ascending, as dffmSharesOver returns them
  disposeProbes(whole);
  const seen: number[] = [];
  const before = tf.memory().numTensors;
  const got = await dffmSharesOver(probe, images, { batch: 2, progress: { update: (done) => seen.push(done), stop: () => seen.push(-1) } });
  assert.is(tf.memory().numTensors, before, 'no tensor left behind');
  assert.equal(seen, [2, 4, 5, -1]);
  assert.equal(got.map((s) => s.level), expected.map((s) => s.level));
  got.forEach((s, i) => {
    const e = expected[i]!;
    s.mean.forEach((m, k) => assert.ok(Math.abs(m - e.mean[k]!) < 1e-5, `level ${s.level} scale ${k}: ${m} vs ${e.mean[k]}`));
    s.perImage.forEach((row, n) => row.forEach((v, k) => assert.ok(Math.abs(v - e.perImage[n]![k]!) < 1e-5)));
  });
  x.dispose();
  model.dispose();
});

test.run();
