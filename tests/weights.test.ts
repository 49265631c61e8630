import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { maximUnavailable } from '../src/peers/maxim';
import { SHIPPED_WEIGHTS } from '../src/infer/weights';
import { VARIANTS } from '../src/model/config';

/**
 * The shipped checkpoint: it loads as the variant its card names, its eval on the sample's test
 * split beats the blurred input, and that eval reproduces the numbers its card and eval.json state.
 */
const root = path.join(__dirname, '..');
function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'deblur-lab.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, DEBLUR_BACKEND: 'wasm' }, timeout: 600_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface Report {
  n: number;
  psnr: { input: number; output: number };
  ssim: { input: number; output: number };
}

test('eval --json with the shipped weights beats the input on the sample test split, as the card says', () => {
  const r = cli('eval', '--data', 'data/sample', '--weights', SHIPPED_WEIGHTS, '--variant', 'lite', '--json');
  assert.is(r.code, 0, r.err);
  const got = JSON.parse(r.out) as Report & { baselines: Record<string, Report & { label: string }>; baselinesTuned: { tunedOn: { description: string; pairs: number } } };
  assert.is(got.n, 12);
  // The baselines, scored on the same 12 images, were tuned on the training split.
  assert.equal(Object.keys(got.baselines), ['usm', 'wiener']);
  assert.is(got.baselines['usm']!.n, 12);
  assert.is(got.baselines['usm']!.psnr.input, got.psnr.input);
  assert.match(got.baselinesTuned.tunedOn.description, /GoPro train split/);
  assert.is(got.baselinesTuned.tunedOn.pairs, 41);
  const onTrain = JSON.parse(cli('eval', '--data', 'data/sample', '--split', 'train', '--limit', '1', '--weights', SHIPPED_WEIGHTS, '--json').out) as { baselines: null; baselinesSkipped: string };
  assert.is(onTrain.baselines, null);
  assert.match(onTrain.baselinesSkipped, /tuned on the training split, so they are not scored on it/);
  assert.ok(got.psnr.output > got.psnr.input + 0.1, `PSNR ${got.psnr.input} → ${got.psnr.output}`);
  assert.ok(got.ssim.output > got.ssim.input, `SSIM ${got.ssim.input} → ${got.ssim.output}`);
  const shipped = JSON.parse(fs.readFileSync(path.join(root, SHIPPED_WEIGHTS, 'eval.json'), 'utf8')) as { reports: Record<string, Report> };
  const stated = shipped.reports['sample test split']!;
  // Same backend, same weights, same images: equal up to XNNPACK's float rounding.
  assert.ok(Math.abs(stated.psnr.output - got.psnr.output) < 0.01 && Math.abs(stated.psnr.input - got.psnr.input) < 1e-9);
  const card = fs.readFileSync(path.join(root, SHIPPED_WEIGHTS, 'card.md'), 'utf8');
  assert.ok(card.includes(`| sample test split | 12 | ${stated.psnr.input.toFixed(2)} | ${stated.psnr.output.toFixed(2)} |`), 'the card\'s table is not eval.json\'s');
  const training = JSON.parse(fs.readFileSync(path.join(root, SHIPPED_WEIGHTS, 'training.json'), 'utf8')) as { config: unknown; step: number };
  assert.equal(training.config, VARIANTS.lite);
  assert.ok(card.includes(`| steps | ${training.step} of`));
});

test('demo (the README\'s main command) deblurs the sample test set and the real photo and prints the table', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-'));
  const r = cli('demo', '--out', out);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`weights ${SHIPPED_WEIGHTS}: msrm blocks \\+ dffm skips, C=16, N=2, 251,523 parameters; trained \\d+ steps`));
  assert.match(r.out, /mean of 12\s+[\d.]+\s+[\d.]+\s+[\d.]+/);
  // The classical baselines beside it, tuned on the sample's training split, never on its test split.
  assert.match(r.out, /unsharp mask, σ [\d.]+, amount [\d.]+ \(tuned on 41 training pairs\)\s+12\s+24\.50/);
  assert.match(r.out, /Wiener, oracle kernel per image, noise ratio [\d.e-]+ \(tuned on 14 training pairs\)\s+12/);
  assert.match(r.out, /the network's margin over the unsharp mask: -?[\d.]+ dB PSNR/);
  // MAXIM beside them where the peer is installed (the test command installs it), from its committed restorations.
  if (maximUnavailable()) assert.match(r.out, /MAXIM \(a published GoPro-trained network\) is not in this table: MAXIM is not installed/);
  else {
    const row = /MAXIM-3S \(@upscalerjs\/maxim-deblurring 0\.1\.0, GoPro-trained\)\s+12\s+24\.50\s+([\d.]+)\s+([\d.]+)/.exec(r.out);
    assert.ok(row, r.out);
    assert.ok(Number(row[2]) > 1, `MAXIM's gain ${row[2]} dB`);
  }
  assert.is(fs.readdirSync(path.join(out, 'test')).filter((f) => f.endsWith('.png')).length, 12);
  assert.ok(fs.existsSync(path.join(out, 'clock_motion_deblurred.png')));
  fs.rmSync(out, { recursive: true });
});

test.run();
