import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readPairsFolder } from '../../src/data/pairs';
import { variantConfig } from '../../src/model/config';
import { loadWeights } from '../../src/infer/weights';
import { CARRY, fromHalf, toHalf } from '../../src/train/carry';
import { TrainingRun, type RunPlan } from '../../src/train/run';
import { fixtureImage } from '../data/fixtures';
import { rejectsWithUsage, seeded, startBackendForTest } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'carry-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('half precision: toHalf matches numpy float16 on every kind of value; fromHalf reads all 65536 patterns as numpy does', () => {
  const values = [...seeded(4000, 9)].map((v, i) => v * 10 ** ((i % 14) - 9)); // 1e-9 … 1e4: subnormals to large
  values.push(0, 1, -1, 65504, 65520, 70000, 6.1035156e-5, 5.96e-8, 2.98e-8, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 2049, 2051);
  const py = `
import sys, json, numpy as np
v = np.array(json.loads(sys.stdin.read()), dtype=np.float32)
print(json.dumps(v.astype(np.float16).view(np.uint16).tolist()))
print(json.dumps(np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float64).tolist(), allow_nan=True))`;
  const r = spawnSync('/usr/bin/python3', ['-c', py], { input: JSON.stringify(values), encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  assert.is(r.status, 0, r.stderr);
  const [bits, all] = r.stdout.trim().split('\n').map((l) => JSON.parse(l.replace(/NaN/g, 'null').replace(/-?Infinity/g, (m) => (m[0] === '-' ? '-1e999' : '1e999')))) as [number[], Array<number | null>];
  const wrong = values.map((v, i) => [v, toHalf(v), bits[i]!] as const).filter(([, got, want]) => got !== want);
  assert.equal(wrong.slice(0, 5), [], `${wrong.length} of ${values.length} differ`);
  assert.is(toHalf(-0), 0x8000, 'negative zero (JSON cannot carry it to numpy)');
  for (let h = 0; h < 65536; h++) {
    const want = all[h];
    const got = fromHalf(h);
    if (want === null) assert.ok(Number.isNaN(got), `pattern ${h}`);
    else assert.ok(Object.is(got, want) || got === want, `pattern ${h}: ${got} vs ${want}`);
  }
});

test('a run resumes from its carry-over alone: averaged weights to half precision, step, ledger and data position go on, Adam restarts', async () => {
  await startBackendForTest('cpu');
  const data = path.join(tmp, 'data');
  for (let i = 0; i < 4; i++) {
    await fixtureImage(path.join(data, 'blur', `${i}.png`), 24, 20, 300 + i);
    await fixtureImage(path.join(data, 'sharp', `${i}.png`), 24, 20, 400 + i);
  }
  await readPairsFolder(data);
  const out = path.join(tmp, 'run');
  const plan: RunPlan = {
    data: { root: data, blur: 'blur' },
    network: { config: variantConfig('lite', { channels: 8, blocks: 1 }) },
    steps: 10,
    pipeline: { batch: 2, crop: 16, flip: true, seed: 3 },
    schedule: { kind: 'cosine', initial: 1e-3, final: 1e-5, total: 10 },
    ema: { decay: 0.9 },
  };
  const backend = { backend: 'cpu', device: 'test' };
  const first = await TrainingRun.open({ out, plan, backend });
  await first.train({ until: 4, checkpointEvery: 2 });
  await first.writeCarry();
  const averaged = first.trainer.averageValues()!.map((v) => v.dataSync() as Float32Array);
  first.dispose();
  for (const n of fs.readdirSync(out)) if (n.startsWith('checkpoint')) fs.rmSync(path.join(out, n), { recursive: true });
  const bytes = fs.statSync(path.join(out, CARRY, 'weights.f16')).size;
  assert.is(bytes, 2 * averaged.reduce((n, a) => n + a.length, 0), 'two bytes a weight');

  const closeToAveraged = (values: Float32Array[], what: string): void =>
    values.forEach((got, i) => {
      const want = averaged[i]!;
      const scale = Math.max(...want.map(Math.abs));
      for (let k = 0; k < got.length; k++) assert.ok(Math.abs(got[k]! - want[k]!) <= scale * 2 ** -11 * 1.01, `${what} ${i}[${k}]: ${got[k]} vs ${want[k]}`);
    });

  // All a clone has of such a run is its carry-over: --weights and a new run's init read it.
  for (const w of [out, path.join(out, CARRY)]) {
    const loaded = await loadWeights(w);
    assert.is(loaded.dir, path.join(out, CARRY));
    assert.equal(loaded.config, plan.network.config);
    closeToAveraged(loaded.model.trainableWeights.map((v) => v.read().dataSync() as Float32Array), `--weights ${w}`);
    loaded.model.dispose();
  }
  const child = await TrainingRun.open({ out: path.join(tmp, 'child'), plan: { ...plan, init: { weights: path.join(out, CARRY), how: 'copy' } }, backend });
  closeToAveraged(child.trainer.weights.map((v) => v.dataSync() as Float32Array), 'init from the carry-over');
  assert.is(child.state.init?.from.step, 4, "the init records the carried run's step");
  child.dispose();

  const warned: string[] = [];
  const again = await TrainingRun.open({ out, backend, warn: (l) => warned.push(l) });
  assert.match(warned.join('\n'), /resuming from the carry-over at step 4/);
  assert.is(again.trainer.step, 4);
  assert.equal(again.state.restarts?.map((r) => [r.step, r.from, r.weights]), [[4, 'carry-over', 'ema']]);
  assert.is(again.state.ledger?.length, 1, 'the first sitting is still in the ledger');
  closeToAveraged(again.trainer.weights.map((v) => v.dataSync() as Float32Array), 'resumed from the carry-over');
  const r = await again.train({ until: 6, checkpointEvery: 2 });
  assert.is(r.step, 6);
  again.dispose();

  fs.rmSync(path.join(out, 'checkpoint'), { recursive: true });
  const file = path.join(out, CARRY, 'weights.f16');
  const damaged = fs.readFileSync(file);
  damaged[10] ^= 0xff;
  fs.writeFileSync(file, damaged);
  await rejectsWithUsage(TrainingRun.open({ out, backend }), /weights\.f16 is damaged/);
});

test.run();
