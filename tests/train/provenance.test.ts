import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readGoPro } from '../../src/data/gopro';
import { writePng } from '../../src/data/image';
import { MIXED_TRAINING } from '../../src/data/synth/generators';
import { writeSynthDataset, type SynthRecord } from '../../src/data/synth/write-dataset';
import { variantConfig } from '../../src/model/config';
import { generatorsOfData, reweighGenerators, trainedOnOf, withoutGenerators } from '../../src/train/provenance';
import { TrainingRun, type RunPlan } from '../../src/train/run';
import { createRaster } from '../../src/data/raster';
import { rejectsWithUsage, seeded, startBackendForTest } from '../helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'provenance-'));
const set = path.join(tmp, 'mixed');
let records: SynthRecord[];
test.before(async () => {
  const photo = path.join(tmp, 'photo.png');
  await writePng(photo, createRaster(96, 80, seeded(96 * 80 * 3, 5).map((v) => (v + 1) / 2)));
  records = await writeSynthDataset([{ sequence: 'p', file: photo, split: 'train', count: 30 }], { out: set, seed: 2, generators: MIXED_TRAINING, longSide: 1280, crop: { width: 32, height: 32 }, keepFlat: true, extentInFramePixels: true });
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('a mixed set names its generators; leaving some out drops exactly their pairs, and unknown names are refused', async () => {
  assert.equal(generatorsOfData(set), MIXED_TRAINING.map((m) => m.generator.name));
  const ds = await readGoPro(set, { split: 'train' });
  const kept = withoutGenerators(ds, ['none', 'defocus']);
  const made = new Map(records.map((r) => [`${r.sequence}/${r.file}`, r.generator]));
  assert.ok(kept.pairs.length < ds.pairs.length);
  assert.is(kept.pairs.length, records.filter((r) => r.generator !== 'none' && r.generator !== 'defocus').length);
  assert.ok(kept.pairs.every((p) => made.get(p.id) !== 'none' && made.get(p.id) !== 'defocus'));
  assert.match(kept.description, /less none and defocus \(\d+ pairs an epoch\)/);
  const more = reweighGenerators(ds, { repeat: { none: 3 } });
  assert.is(more.pairs.length, ds.pairs.length + 2 * records.filter((r) => r.generator === 'none').length, 'each none pair three times');
  await rejectsWithUsage(Promise.resolve().then(() => withoutGenerators(ds, ['motion'])), /has no generator motion/);
});

test('a run that leaves a generator out records it, trains on the rest, and is refused a different choice on resume', async () => {
  await startBackendForTest('cpu');
  const out = path.join(tmp, 'run');
  const plan: RunPlan = {
    data: { root: set, blur: 'blur', exclude: ['none'] },
    network: { config: variantConfig('lite', { channels: 8, blocks: 1 }) },
    steps: 4,
    pipeline: { batch: 2, crop: 16, flip: true, seed: 1 },
    schedule: { kind: 'constant', initial: 1e-3 },
  };
  const backend = { backend: 'cpu', device: 'test' };
  const run = await TrainingRun.open({ out, plan, backend });
  assert.equal(run.state.data.exclude, ['none']);
  assert.equal(run.state.generators, MIXED_TRAINING.map((m) => m.generator.name).filter((n) => n !== 'none'));
  assert.is(run.state.data.pairs, records.filter((r) => r.generator !== 'none').length);
  await run.train({ until: 2, checkpointEvery: 2 });
  run.dispose();
  assert.equal(trainedOnOf(out), MIXED_TRAINING.map((m) => m.generator.name).filter((n) => n !== 'none'));
  await rejectsWithUsage(TrainingRun.open({ out, backend, expect: { dataMix: {} } }), /data the mixture as built vs the checkpoint's leaving out none/);
  const again = await TrainingRun.open({ out, backend, expect: { dataMix: { exclude: ['none'] } } });
  assert.is(again.trainer.step, 2);
  again.dispose();
});

test.run();
