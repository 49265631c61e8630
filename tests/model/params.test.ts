import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { variantConfig } from '../../src/model/config';
import { summarize } from '../../src/model/summary';
import { buildNet } from '../../src/model/net';
import { msrmParams } from '../../src/model/msrm';
import { startBackendForTest } from '../helpers';

// Layer-by-layer counts written out from the paper's description, independent of src/model.
const conv = (k: number, cin: number, cout: number) => k * k * cin * cout + cout;
const SCM = (p: number) => conv(3, 3, p / 4) + conv(1, p / 4, p / 2) + conv(3, p / 2, p / 2) + conv(1, p / 2, p - 3) + conv(1, p, p);
const FAM = (c: number) => conv(3, c, c);
const RES = (c: number) => 2 * conv(3, c, c);
function MSRM(c: number, r: number): number {
  const p = c / 4;
  const h = Math.max(4, Math.floor(c / r)); // CA hidden width, at least 4
  return 9 * c + c /* depthwise */ + conv(1, c, c) /* pointwise, split 4 ways */ + 4 * conv(3, p, p) + conv(1, c, c) + (c * h + h) + (h * c + c);
}
function DFFM(level: number, C: number): number {
  const cl = C * 2 ** (level - 1);
  const h = Math.max(cl / 4, 8);
  return [C, 2 * C, 4 * C].reduce((a, ck) => a + conv(1, ck, cl), 0) + (cl * h + h) + (h * 3 * cl + 3 * cl) + conv(1, 3 * cl, cl);
}
function trunk(C: number): number {
  // convs outside blocks, skips, SCM and FAM: em1_in, em2/3_down, dm3/2_up (transposed k4), dm*_out, dm2/1_in
  return conv(3, 3, C) + conv(3, C, 2 * C) + conv(3, 2 * C, 4 * C) + conv(4, 4 * C, 2 * C) + conv(4, 2 * C, C)
    + conv(3, 4 * C, 3) + conv(3, 2 * C, 3) + conv(3, C, 3) + conv(1, 4 * C, 2 * C) + conv(1, 2 * C, C)
    + SCM(2 * C) + SCM(4 * C) + FAM(2 * C) + FAM(4 * C);
}

test('reference module counts from PAPER.md', () => {
  assert.is(SCM(64), 16413);
  assert.is(SCM(128), 64573);
  assert.is(FAM(64), 36928);
  assert.is(FAM(128), 147584);
});

test('mimo reproduces MIMO-UNet (6,807,171) and MIMO-UNet+ (16,107,651) exactly', async () => {
  await startBackendForTest('cpu');
  assert.is(summarize(variantConfig('mimo')).params, 6807171);
  assert.is(summarize(variantConfig('mimo', { blocks: 20 })).params, 16107651);
});

test('mimo costs 63.7 G multiply-adds at 256×256 and 896 G at 1280×720', async () => {
  await startBackendForTest('cpu');
  assert.is(Math.round(summarize(variantConfig('mimo')).macs / 1e8) / 10, 63.7);
  assert.is(Math.round(summarize(variantConfig('mimo'), 720, 1280).macs / 1e9), 896);
});

test('full (the paper network) has 2,180,667 parameters, as the module formulas say', async () => {
  await startBackendForTest('cpu');
  const C = 32;
  const N = 8;
  const expected = trunk(C) + 2 * N * (MSRM(C, 8) + MSRM(2 * C, 8) + MSRM(4 * C, 8)) + DFFM(1, C) + DFFM(2, C);
  assert.is(expected, 2180667);
  assert.is(summarize(variantConfig('full')).params, expected);
});

test('baseline, dffm and lite match their formulas too', async () => {
  await startBackendForTest('cpu');
  const blocks = (C: number, N: number, f: (c: number) => number) => 2 * N * (f(C) + f(2 * C) + f(4 * C));
  assert.is(summarize(variantConfig('baseline')).params, trunk(32) + blocks(32, 8, RES));
  assert.is(summarize(variantConfig('dffm')).params, trunk(32) + blocks(32, 8, RES) + DFFM(1, 32) + DFFM(2, 32));
  assert.is(summarize(variantConfig('lite')).params, trunk(16) + blocks(16, 2, (c) => MSRM(c, 8)) + DFFM(1, 16) + DFFM(2, 16));
});

test('module breakdown adds up to the total', async () => {
  await startBackendForTest('cpu');
  const s = summarize(variantConfig('full'), 64, 64);
  assert.is(s.modules.reduce((a, m) => a + m.params, 0), s.params);
  assert.ok(s.modules.some((m) => m.module === 'dffm1'));
  assert.ok(s.modules.some((m) => m.module === 'em3'));
});

test('msrmParams agrees with the layers of a built MSRM and with the written-out formula', async () => {
  await startBackendForTest('cpu');
  for (const C of [16, 32]) {
    const cfg = variantConfig('full', { channels: C, blocks: 1 });
    const model = buildNet(cfg);
    for (const [level, c] of [['em1', C], ['em2', 2 * C], ['em3', 4 * C]] as const) {
      const built = model.layers.filter((l) => l.name.startsWith(`${level}_b1_`)).reduce((a, l) => a + l.countParams(), 0);
      assert.is(msrmParams(c, cfg.msrm), built, `${level} C=${C}`);
      assert.is(msrmParams(c, cfg.msrm), MSRM(c, 8), `${level} C=${C} formula`);
    }
    model.dispose();
  }
});

test.run();
