import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readPairsFolder } from '../../src/data/pairs';
import { disposeBatch, TrainingPipeline } from '../../src/data/pipeline';
import type { Dataset } from '../../src/data/dataset';
import { variantConfig } from '../../src/model/config';
import { buildNet } from '../../src/model/net';
import { readCheckpoint, readTrainingState } from '../../src/train/checkpoint';
import { LossLog } from '../../src/train/loss-log';
import { describeData, Trainer, TrainingDiverged, type StepReport } from '../../src/train/trainer';
import type { Schedule } from '../../src/train/schedule';
import { batchGradients } from '../../src/train/step';
import { fixtureImage } from '../data/fixtures';
import { startBackendForTest } from '../helpers';
import { UsageError } from '../../src/errors';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trainer-'));
let dataset: Dataset;
// A network small enough to train on the cpu backend in seconds, with every module of the real one.
const tiny = variantConfig('lite', { channels: 8, blocks: 1 });
const settings = { batch: 2, crop: 16, seed: 5 };

test.before(async () => {
  for (let i = 0; i < 5; i++) {
    await fixtureImage(path.join(tmp, 'data', 'blur', `${i}.png`), 24, 20, 100 + i);
    await fixtureImage(path.join(tmp, 'data', 'sharp', `${i}.png`), 24, 20, 200 + i);
  }
  dataset = await readPairsFolder(path.join(tmp, 'data'));
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function newTrainer(steps: number, schedule: Schedule = { kind: 'cosine', initial: 1e-3, final: 1e-5, total: steps }): Trainer {
  const model = buildNet(tiny, { seed: 11 });
  return Trainer.create(model, new TrainingPipeline(dataset.pairs, settings), { steps, schedule, data: describeData(dataset), initSeed: 11, backend: tf.getBackend() });
}

async function weightsOf(model: tf.LayersModel): Promise<Float32Array[]> {
  return Promise.all(model.getWeights().map(async (w) => new Float32Array((await w.data()) as Float32Array)));
}

function maxRelDiff(a: Float32Array[], b: Float32Array[]): number {
  assert.is(a.length, b.length);
  let worst = 0;
  a.forEach((x, i) => {
    const y = b[i]!;
    for (let k = 0; k < x.length; k++) worst = Math.max(worst, Math.abs(x[k]! - y[k]!) / Math.max(1e-3, Math.abs(y[k]!)));
  });
  return worst;
}

test('resume: 3 steps, a checkpoint, a new process-like start, 2 more steps = 5 steps straight (cpu)', async () => {
  await startBackendForTest('cpu');
  const straight = newTrainer(5);
  await straight.run({});
  const expected = await weightsOf(straight.model);
  const straightLoss = straight.state.lastLoss!;
  straight.dispose();

  const out = path.join(tmp, 'resume');
  const first = newTrainer(5);
  const r1 = await first.run({ until: 3, out });
  assert.is(r1.step, 3);
  first.dispose();
  assert.is(readTrainingState(out)!.step, 3);

  // Everything comes back from disk: weights, Adam's moments and step count, the schedule, the pipeline position.
  const ckpt = await readCheckpoint(out);
  const resumed = await Trainer.resume(ckpt, new TrainingPipeline(dataset.pairs, ckpt.state.pipeline));
  assert.is(resumed.step, 3);
  const r2 = await resumed.run({ out });
  assert.is(r2.step, 5);
  const got = await weightsOf(resumed.model);
  const diff = maxRelDiff(got, expected);
  assert.ok(diff < 1e-5, `resumed weights differ from straight ones by ${diff} (relative)`);
  assert.ok(Math.abs(resumed.state.lastLoss!.total - straightLoss.total) < 1e-6 * Math.max(1, straightLoss.total), 'last loss differs');
  // The weights really moved, so the comparison above means something.
  const init = await weightsOf(buildNet(tiny, { seed: 11 }));
  assert.ok(maxRelDiff(got, init) > 1e-3, 'training did not change the weights');
  resumed.dispose();
});

test('micro-batches: the gradients accumulated over 2 or 4 parts of a batch equal the whole batch\'s (cpu and wasm, every loss form, to 1e-5)', async () => {
  for (const [backend, lossForm] of [['cpu', 'paper'], ['wasm', 'paper'], ['wasm', 'log-per-image'], ['wasm', 'relative']] as const) {
    await startBackendForTest(backend);
    const model = buildNet(tiny, { seed: 11 });
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const batch = await new TrainingPipeline(dataset.pairs, { ...settings, batch: 4 }).load(0);
    const read = async (parts: number): Promise<Float32Array[]> => {
      const r = batchGradients({ model, variables, blur: batch.blur, targets: batch.targets, lambda: 0.1, microBatches: parts, lossForm });
      const out = await Promise.all([r.value, ...r.grads].map(async (t) => new Float32Array((await t.data()) as Float32Array)));
      tf.dispose([r.value, r.content, r.fft, ...r.grads]);
      return out;
    };
    const whole = await read(1);
    for (const parts of [2, 4]) {
      const got = await read(parts);
      got.forEach((g, i) => {
        let d = 0;
        let scale = 1e-12;
        g.forEach((v, k) => {
          d = Math.max(d, Math.abs(v - whole[i]![k]!));
          scale = Math.max(scale, Math.abs(whole[i]![k]!));
        });
        assert.ok(d <= 1e-5 * scale, `${backend} (${lossForm}), ${parts} parts, ${i === 0 ? 'loss' : `gradient ${i - 1}`}: |Δ| ${d} at scale ${scale}`);
      });
    }
    // Not vacuous: the first half alone has another gradient.
    const half = batchGradients({ model, variables, blur: tf.slice(batch.blur, 0, 2) as tf.Tensor4D, targets: batch.targets.map((t) => tf.slice(t, 0, 2) as tf.Tensor4D), lambda: 0.1 });
    const halfGrad = await half.grads[0]!.data();
    assert.ok(halfGrad.some((v, k) => Math.abs(v - whole[1]![k]!) > 1e-3 * Math.abs(whole[1]![k]!) + 1e-9));
    tf.dispose([half.value, half.content, half.fft, ...half.grads]);
    disposeBatch(batch);
    model.dispose();
  }
  const model = buildNet(tiny);
  assert.throws(() => batchGradients({ model, variables: [], blur: tf.zeros([3, 16, 16, 3]) as tf.Tensor4D, targets: [], lambda: 0.1, microBatches: 2 }), /microBatches 2 must divide the batch of 3/);
  model.dispose();
});

test('a resumed run that skips Adam\'s state would not match: the test above can fail', async () => {
  await startBackendForTest('cpu');
  const straight = newTrainer(5);
  await straight.run({});
  const expected = await weightsOf(straight.model);
  straight.dispose();
  const out = path.join(tmp, 'no-moments');
  const first = newTrainer(5);
  await first.run({ until: 3, out });
  first.dispose();
  const ckpt = await readCheckpoint(out);
  const broken = await Trainer.resume({ ...ckpt, adam: { iterations: 0, m: [], v: [] } }, new TrainingPipeline(dataset.pairs, ckpt.state.pipeline));
  await broken.run({});
  assert.ok(maxRelDiff(await weightsOf(broken.model), expected) > 1e-3);
  broken.dispose();
});

test('tensor count stays flat across training steps (wasm), and every step is reported', async () => {
  await startBackendForTest('wasm');
  const t = newTrainer(6);
  const counts: number[] = [];
  const reports: StepReport[] = [];
  await t.run({
    onStep: (r) => {
      counts.push(tf.memory().numTensors);
      reports.push(r);
    },
  });
  // Step 1 creates Adam's moments and the cached DFT bases; after that nothing may accumulate.
  assert.equal(counts.slice(1), counts.slice(1).map(() => counts[1]), `tensor counts ${counts.join(', ')}`);
  assert.equal(reports.map((r) => r.step), [1, 2, 3, 4, 5, 6]);
  for (const r of reports) {
    assert.ok(Number.isFinite(r.loss.total) && r.loss.total > 0);
    assert.ok(Math.abs(r.loss.total - (r.loss.content + 0.1 * r.loss.fft)) < 1e-5 * r.loss.total, 'total = content + λ·fft');
    assert.ok(r.imagesPerSecond > 0 && r.until === 6);
  }
  assert.ok(reports[0]!.lr === 1e-3 && reports[5]!.lr < reports[0]!.lr, 'cosine schedule drives the learning rate');
  t.dispose();
});

test('a NaN loss stops training with a clear error; the weights and the last checkpoint stay as they were', async () => {
  await startBackendForTest('cpu');
  const out = path.join(tmp, 'nan');
  // An absurd learning rate: the first update is finite, the next forward pass overflows.
  const t = newTrainer(20, { kind: 'constant', initial: 1e30 });
  let error: unknown;
  let lastGood: Float32Array[] = [];
  try {
    await t.run({
      out,
      checkpointEvery: 1,
      onStep: async () => {
        lastGood = await weightsOf(t.model);
      },
    });
  } catch (e) {
    error = e;
  }
  assert.instance(error, TrainingDiverged);
  const e = error as TrainingDiverged;
  assert.match(e.message, /training diverged at step \d+: loss (NaN|Infinity|-Infinity)/);
  assert.match(e.message, /last good checkpoint is .*checkpoint \(step \d+\), untouched/);
  const state = readTrainingState(out)!;
  assert.is(state.step, e.step, 'the checkpoint is the step before the bad one');
  assert.equal(await weightsOf(t.model), lastGood, 'the bad step was not applied');
  const ckpt = await readCheckpoint(out);
  const saved = await weightsOf(ckpt.model);
  assert.equal(saved, lastGood);
  assert.ok(saved.every((w) => w.every(Number.isFinite)));
  ckpt.model.dispose();
  t.dispose();
});

test('an image that turns unreadable mid-run stops training with its name, after a checkpoint of the steps done', async () => {
  await startBackendForTest('cpu');
  const dir = path.join(tmp, 'fragile');
  fs.cpSync(path.join(tmp, 'data'), dir, { recursive: true });
  const fragile = await readPairsFolder(dir);
  const out = path.join(tmp, 'fragile-run');
  const t = Trainer.create(buildNet(tiny, { seed: 11 }), new TrainingPipeline(fragile.pairs, settings), {
    steps: 50, schedule: { kind: 'constant', initial: 1e-4 }, data: describeData(fragile), initSeed: 11, backend: tf.getBackend(),
  });
  let error: unknown;
  try {
    await t.run({
      out,
      checkpointEvery: 100,
      onStep: (r) => {
        if (r.step === 2) for (const p of fragile.pairs) fs.writeFileSync(p.blur, 'gone'); // every image, so the next batch fails
      },
    });
  } catch (e) {
    error = e;
  }
  assert.instance(error, UsageError);
  assert.match((error as Error).message, /blur\/\d\.png: .*training stopped at step \d+; a checkpoint of it was written first/);
  const state = readTrainingState(out)!;
  assert.ok(state.step >= 2 && state.step === t.step, `checkpoint at ${state.step}, trainer at ${t.step}`);
  t.dispose();
});

test('loss log: resuming at step N drops rows logged after N', () => {
  const file = path.join(tmp, 'log.csv');
  const log = LossLog.open(file, 0);
  for (let step = 1; step <= 5; step++) log.append({ step, until: 9, epoch: 0, lr: 1e-4, loss: { total: step, content: 0, fft: 0 }, imagesPerSecond: 1, stepSeconds: 1 });
  // The cut-back replaces the file whole (a new inode through a rename), never truncating it in place:
  // a sitting killed meanwhile, or a reader looking meanwhile, sees the old log or the new one.
  const before = fs.statSync(file).ino;
  LossLog.open(file, 3);
  assert.equal(LossLog.read(file).map((r) => r['step']), [1, 2, 3]);
  assert.is.not(fs.statSync(file).ino, before);
  assert.equal(fs.readdirSync(tmp).filter((f) => f.includes('.tmp')), [], 'no temporary file left');
  fs.writeFileSync(path.join(tmp, 'empty.csv'), '');
  assert.equal(LossLog.read(path.join(tmp, 'empty.csv')), [], 'a log not yet written reads as no rows');
  fs.writeFileSync(path.join(tmp, 'not-a-log.csv'), 'a,b\n1,2\n');
  assert.throws(() => LossLog.open(path.join(tmp, 'not-a-log.csv'), 0), /not a deblur-lab loss log/);
});

test.run();
