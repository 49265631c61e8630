import * as assert from 'uvu/assert';
import { test } from 'uvu';
import { comparisons, describeVerdicts, ladderVerdicts, ranking, type AblationRun } from '../../src/ablation/report';
import type { RunEvaluation } from '../../src/ablation/results';
import { variantConfig, type VariantName } from '../../src/model/config';
import { Rng } from '../../src/random';

const N = 60;
/** Per-image blurred PSNR shared by every run: the image-to-image spread that pairing removes. */
const inputs = Array.from({ length: N }, (_, i) => 22 + 8 * Rng.seeded('img', i).uniform());

/** A run whose per-image gain is `gain` plus its own small per-image noise. */
function run(variant: VariantName, seed: number, gain: number, noise = 0.02): AblationRun {
  const rng = Rng.seeded(variant, seed);
  const images = inputs.map((input, i) => {
    const output = input + gain + noise * rng.normal() + 0.3 * Math.sin(i); // the shared image effect
    return { id: `img${i}`, width: 256, height: 256, seconds: 0, tiles: 1, psnr: { input, output }, ssim: { input: 0.7, output: 0.7 + gain / 100 } };
  });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const heldout: RunEvaluation = {
    dataset: { root: 'set', description: 'test' },
    weights: 'w',
    n: N,
    psnr: { input: mean(images.map((i) => i.psnr.input)), output: mean(images.map((i) => i.psnr.output)) },
    ssim: { input: 0.7, output: 0.7 + gain / 100 },
    gain: { psnr: mean(images.map((i) => i.psnr.output - i.psnr.input)), ssim: gain / 100 },
    images,
    seconds: 0,
    convention: 'test',
  };
  const config = variantConfig(variant, { channels: 16, blocks: 2 });
  return { name: `${variant}-s${seed}`, variant, seed, dir: '', config, params: 0, macs: 0, steps: 10, seconds: 1, state: {} as AblationRun['state'], heldout };
}

test('the ladder: a difference beyond its interval and the seed noise holds; within the seed noise it is unresolved', () => {
  const runs = [run('baseline', 0, 0.3), run('dffm', 0, 0.45), run('full', 0, 0.47), run('dffm', 1, 0.42), run('full', 1, 0.44)];
  const v = ladderVerdicts(runs);
  assert.equal(v.map((x) => `${x.better}>${x.worse}:${x.verdict}`), ['dffm>baseline:holds', 'full>dffm:unresolved', 'full>baseline:holds']);
  // The seed noise is the larger of the two same-design differences (about 0.03 dB here).
  assert.ok(v[0]!.seedNoise! > 0.02 && v[0]!.seedNoise! < 0.045, `seed noise ${v[0]!.seedNoise}`);
  // full − dffm is 0.02 dB: certain on these images (paired, tiny noise) but smaller than a reseed.
  const fd = v[1]!.comparison;
  assert.ok(fd.ci95[0] > 0 && fd.p < 0.01, `full − dffm ${fd.mean} ${fd.ci95} p ${fd.p}`);
  assert.match(describeVerdicts(v)[1]!, /^full > dffm \(paper\): \+0\.0\d\d dB \[\+0\.0\d\d, \+0\.0\d\d\], better on \d+ of 60 images, p [<=] [\d.]+; seed noise 0\.0\d\d dB → unresolved$/);
  assert.equal(ranking(runs, 0), ['full-s0', 'dffm-s0', 'baseline-s0']);
});

test('the ladder: the opposite order beyond the noise is reversed; without a second seed only the interval decides', () => {
  const reversed = ladderVerdicts([run('baseline', 0, 0.5), run('dffm', 0, 0.3), run('dffm', 1, 0.31)]);
  assert.equal(reversed.map((x) => x.verdict), ['reversed']);
  const single = ladderVerdicts([run('baseline', 0, 0.3), run('full', 0, 0.32)]);
  assert.equal(single.map((x) => [x.better, x.worse, x.verdict, x.seedNoise]), [['full', 'baseline', 'holds', undefined]]);
  assert.match(describeVerdicts(single)[0]!, /no second seed to compare with → holds/);
});

test('comparisons pair runs by seed and list each second seed against the first', () => {
  const runs = [run('baseline', 0, 0.3), run('dffm', 0, 0.4), run('full', 0, 0.5), run('full', 1, 0.5), run('baseline', 1, 0.3)];
  const cs = comparisons(runs);
  assert.equal(cs.map((c) => `${c.a}−${c.b}:${c.kind}`), [
    'dffm-s0−baseline-s0:rung',
    'full-s0−dffm-s0:rung',
    'full-s0−baseline-s0:rung',
    'full-s1−baseline-s1:rung',
    'full-s1−full-s0:seed',
    'baseline-s1−baseline-s0:seed',
  ]);
  assert.ok(cs.every((c) => c.n === N));
});

test.run();
