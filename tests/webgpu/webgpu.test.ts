import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../src/backend';
import { deblurLoss } from '../../src/loss';
import { variantConfig } from '../../src/model/config';
import { buildNet } from '../../src/model/net';
import { imagePyramid } from '../../src/pyramid';
import { LossLog } from '../../src/train/loss-log';
import { readTrainingState } from '../../src/train/checkpoint';
import { seeded, startBackendForTest } from '../helpers';

/**
 * The webgpu backend on the software adapter (Dawn's OpenGL ES backend on Mesa's llvmpipe): the
 * same kernels tfjs runs on a GPU, slowly. Sizes are small to keep the suite's time.
 */
const root = path.join(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'deblur-lab.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'webgpu-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, DEBLUR_BACKEND: '' }, timeout: 600_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** stderr without the lines every run prints: Dawn's limit warnings, the backend line, progress. */
function problems(err: string): string[] {
  return err.split('\n').filter((l) => l.trim() && !/^Warning: max\w+ artificially reduced/.test(l) && !l.startsWith('deblur-lab: backend') && !/^train: \d+\/\d+/.test(l));
}

const losses = (run: string): number[] => LossLog.read(path.join(run, 'log.csv')).map((r) => r['loss']!);
const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-3 * Math.abs(b);

test('train on webgpu: the same seeded losses as wasm, no WebGPU errors; its checkpoint resumes on wasm and a wasm one on webgpu', () => {
  const common = ['--data', 'data/sample', '--variant', 'lite', '--batch', '1', '--crop', '32', '--seed', '3', '--schedule', 'constant', '--lr', '1e-3'];
  const straight = path.join(tmp, 'wasm-straight');
  assert.is(cli('train', ...common, '--out', straight, '--steps', '3', '--backend', 'wasm').code, 0);
  const want = losses(straight);

  const gpu = path.join(tmp, 'webgpu-first');
  const r = cli('train', ...common, '--out', gpu, '--steps', '2', '--backend', 'webgpu');
  assert.is(r.code, 0, r.err);
  assert.match(r.err, /deblur-lab: backend webgpu on .*software adapter/);
  assert.equal(problems(r.err), [], 'webgpu printed errors');
  losses(gpu).forEach((l, i) => assert.ok(close(l, want[i]!), `step ${i + 1}: webgpu ${l} vs wasm ${want[i]}`));
  assert.is(readTrainingState(gpu)!.backend, 'webgpu');
  const onWasm = cli('train', '--out', gpu, '--resume', '--steps', '3', '--backend', 'wasm');
  assert.is(onWasm.code, 0, onWasm.err);
  assert.ok(close(losses(gpu)[2]!, want[2]!), `step 3 on wasm after 2 on webgpu: ${losses(gpu)[2]} vs ${want[2]}`);

  const cpuFirst = path.join(tmp, 'wasm-first');
  assert.is(cli('train', ...common, '--out', cpuFirst, '--steps', '2', '--backend', 'wasm').code, 0);
  const onGpu = cli('train', '--out', cpuFirst, '--resume', '--steps', '3', '--backend', 'webgpu');
  assert.is(onGpu.code, 0, onGpu.err);
  assert.equal(problems(onGpu.err), []);
  assert.ok(close(losses(cpuFirst)[2]!, want[2]!), `step 3 on webgpu after 2 on wasm: ${losses(cpuFirst)[2]} vs ${want[2]}`);
  assert.equal(readTrainingState(cpuFirst)!.ledger!.map((s) => s.backend), ['wasm', 'webgpu']);
});

/** Loss and every weight gradient of `variant` at 1 × 32², on the active backend. */
async function lossAndGradients(variant: string): Promise<Float32Array[]> {
  const model = buildNet(variantConfig(variant), { seed: 1 });
  const x = tf.tensor4d(seeded(32 * 32 * 3, 5).map((v) => (v + 1) / 2), [1, 32, 32, 3]);
  const targets = imagePyramid(tf.tensor4d(seeded(32 * 32 * 3, 6).map((v) => (v + 1) / 2), [1, 32, 32, 3]));
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => deblurLoss(model.apply(x, { training: true }) as tf.Tensor4D[], targets).total, vars);
  const out = [value, ...vars.map((v) => grads[v.name]!)];
  const values = await Promise.all(out.map(async (t) => new Float32Array((await t.data()) as Float32Array)));
  tf.dispose([x, ...targets, ...out]);
  model.dispose();
  return values;
}

test('lite and full: the loss and every weight gradient on webgpu equal wasm\'s to 1e-4 of each tensor\'s scale', async () => {
  for (const variant of ['lite', 'full']) {
    await startBackendForTest('wasm', 'wasm');
    const want = await lossAndGradients(variant);
    await selectBackend({ backend: 'webgpu', log: () => undefined });
    const got = await lossAndGradients(variant);
    assert.is(got.length, want.length);
    got.forEach((g, i) => {
      let d = 0;
      let scale = 1e-6;
      g.forEach((v, k) => {
        d = Math.max(d, Math.abs(v - want[i]![k]!));
        scale = Math.max(scale, Math.abs(want[i]![k]!));
      });
      assert.ok(d <= 1e-4 * scale, `${variant} ${i === 0 ? 'loss' : `gradient ${i - 1}`}: max |Δ| ${d} at scale ${scale}`);
    });
  }
});

test('an impossible GPU job stops train with one clear line naming the program and its shapes', async () => {
  // One pair so large that the first convolution's dispatch exceeds the adapter's limits.
  const data = path.join(tmp, 'huge');
  for (const kind of ['blur', 'sharp']) {
    fs.mkdirSync(path.join(data, kind), { recursive: true });
    await sharp({ create: { width: 1456, height: 1456, channels: 3, background: { r: 90, g: 120, b: 150 } } }).png().toFile(path.join(data, kind, 'a.png'));
  }
  const r = cli('train', '--data', data, '--variant', 'lite', '--out', path.join(tmp, 'huge-run'), '--steps', '2', '--batch', '1', '--crop', '1456', '--backend', 'webgpu');
  assert.is(r.code, 1);
  const lines = problems(r.err);
  assert.is(lines.length, 1, r.err);
  assert.match(lines[0]!, /^deblur-lab: WebGPU cannot run Conv2DMMProgram \(\[1, 1456, 1456, 3\] \[3, 3, 3, 16\] \[16\] → \[1, 1456, 1456, 16\]\): Dispatch size exceeds WebGPU limits/);
  assert.not.ok(fs.existsSync(path.join(tmp, 'huge-run', 'checkpoint')), 'a failed step wrote a checkpoint');
});

test.run();
