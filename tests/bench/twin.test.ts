import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_WARMUP_RUNS } from '../../src/bench/timing';
import * as tf from '@tensorflow/tfjs';
import { TORCH_RESAMPLING, VARIANT_NAMES, variantConfig } from '../../src/model/config';
import { buildNet } from '../../src/model/net';
import { moduleArgs, PYTHON, pythonEnv } from '../../src/python';
import { seeded, startBackendForTest } from '../helpers';

// Debian's python3-torch (scripts/setup.sh --tests installs it): the benchmark's peer.

test('the PyTorch twin has exactly the tfjs parameters, layer by layer, for every variant', async () => {
  await startBackendForTest('cpu');
  for (const v of VARIANT_NAMES) {
    const cfg = variantConfig(v);
    const model = buildNet(cfg);
    const ours: Record<string, number> = {};
    for (const l of model.layers) if (l.countParams() > 0) ours[l.name] = l.countParams();
    const twin = JSON.parse(execFileSync(PYTHON, moduleArgs('torch_twin', [JSON.stringify(cfg)]), { env: pythonEnv() }).toString()) as { params: number; layers: Record<string, number> };
    assert.is(twin.params, model.countParams(), `${v}: total`);
    assert.equal(twin.layers, ours, `${v}: per layer`);
    model.dispose();
  }
});

test('with the same weights, the twin computes the same function as the tfjs network (lite, mimo, baseline, and lite and mimo with PyTorch\'s resampling; 1e-5 of the output scale)', async () => {
  await startBackendForTest('wasm');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'twin-'));
  try {
    const cases = [
      ['lite', {}, false],
      ['mimo', { channels: 8, blocks: 1 }, false],
      ['baseline', { channels: 8, blocks: 1 }, false],
      ['lite', {}, true],
      ['mimo', { channels: 8, blocks: 1 }, true],
    ] as const;
    for (const [variant, overrides, torchResampling] of cases) {
      const cfg = { ...variantConfig(variant, overrides), ...(torchResampling ? { resampling: { ...TORCH_RESAMPLING } } : {}) };
      const model = buildNet(cfg, { seed: 11 });
      // Biases start at zero: randomise every weight so that none of them goes unchecked.
      model.setWeights(model.getWeights().map((w, i) => tf.tensor(seeded(w.size, 100 + i).map((v) => 0.3 * v), w.shape)));
      const manifest: { name: string; shape: number[] }[] = [];
      const chunks: Float32Array[] = [];
      for (const layer of model.layers) {
        for (const w of layer.weights) {
          manifest.push({ name: `${layer.name}/${w.name.split('/').pop()!.replace(/_\d+$/, '')}`, shape: w.shape as number[] });
          chunks.push((await w.read().data()) as Float32Array);
        }
      }
      const shape = [2, 24, 32, 3];
      const input = seeded(shape.reduce((a, b) => a * b), 7).map((v) => 0.5 + 0.5 * v);
      fs.writeFileSync(path.join(dir, 'w.bin'), Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))));
      fs.writeFileSync(path.join(dir, 'x.bin'), Buffer.from(input.buffer));
      fs.writeFileSync(path.join(dir, 'm.json'), JSON.stringify(manifest));
      const spec = { config: cfg, manifest: path.join(dir, 'm.json'), weights: path.join(dir, 'w.bin'), input: path.join(dir, 'x.bin'), shape };
      const r = spawnSync(PYTHON, ['tests/python/torch_twin_parity.py'], { input: JSON.stringify(spec), encoding: 'utf8', maxBuffer: 1 << 28, env: pythonEnv() });
      assert.is(r.status, 0, r.stderr);
      const theirs = (JSON.parse(r.stdout) as { outputs: number[][] }).outputs;
      const ours = model.predict(tf.tensor4d(input, shape as [number, number, number, number])) as tf.Tensor[];
      for (const [k, t] of ours.entries()) {
        const a = (await t.data()) as Float32Array;
        const b = theirs[k]!;
        assert.is(a.length, b.length, `${variant} output ${k}: size`);
        // Random weights make large activations: compare relative to the output's scale.
        let worst = 0;
        let scale = 1;
        for (let i = 0; i < a.length; i++) {
          worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
          scale = Math.max(scale, Math.abs(b[i]!));
        }
        assert.ok(worst / scale < 1e-5, `${variant} output ${k}: max |tfjs − torch| = ${worst} at scale ${scale}`);
      }
      tf.dispose(ours);
      model.dispose();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the twin's benchmark warms up by the lab's rule: `warmup` runs, then more until the warm-up time has passed", () => {
  const script = [
    'import time',
    'from deblur_twin.bench import time_runs, MAX_WARMUP_RUNS',
    'starts = []',
    'def body(): starts.append(time.perf_counter()); time.sleep(0.02)',
    't = time_runs(body, 2, 1, 0.2)',
    'w = starts[:-2]',
    'print(len(w), round((w[-1] - w[0]) * 1000, 1), round((starts[-2] - w[0]) * 1000, 1), t["runs"])',
    'calls = [0]',
    'time_runs(lambda: calls.__setitem__(0, calls[0] + 1), 1, 3, 0); print(calls[0] - 1)',
    'calls[0] = 0; time_runs(lambda: calls.__setitem__(0, calls[0] + 1), 1, 1, 1000); print(calls[0] - 1, MAX_WARMUP_RUNS)',
  ].join('\n');
  const [timedWarmup, plainWarmups, capped] = execFileSync(PYTHON, ['-c', script], { encoding: 'utf8', env: pythonEnv() }).trim().split('\n').map((l) => l.split(' ').map(Number));
  const [count, lastWarmupStartMs, timingStartMs, runs] = timedWarmup!;
  // The warm-up ends with the first run that starts after 0.2 s (each run takes 20 ms or more).
  assert.ok(count! >= 2, `${count} warm-up runs`);
  assert.ok(lastWarmupStartMs! < 200, `a warm-up run started ${lastWarmupStartMs} ms in`);
  // (≥ 195: the rule's clock starts a moment before the first run does.)
  assert.ok(timingStartMs! >= 195, `timing began ${timingStartMs} ms into a 200 ms warm-up`);
  assert.is(runs, 2);
  assert.is(plainWarmups![0], 3);
  assert.is(capped![0], capped![1]);
  assert.is(capped![1], MAX_WARMUP_RUNS);
});

test.run();
