import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ablationRecipe, DEFAULT_PLAN, planConfig } from '../../src/ablation/plan';
import { UsageError } from '../../src/errors';
import { variantConfig } from '../../src/model/config';
import { checkRecipe, planOf, readRecipe, recipeOf, writeRecipe } from '../../src/train/recipe';
import type { RunPlan } from '../../src/train/run';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'recipe-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const base: RunPlan = {
  data: { root: 'build/data/x', blur: 'blur_gamma', layout: 'gopro', exclude: ['defocus'], repeat: { none: 3 } },
  network: { config: variantConfig('lite'), variant: 'lite' },
  steps: 300,
  pipeline: { batch: 2, crop: 128, flip: false, seed: 7 },
  schedule: { kind: 'cosine', initial: 1e-3, final: 1e-6, total: 300, warmup: 10 },
  ema: { decay: 0.99 },
  init: { weights: 'weights/lite-canonical', how: 'grow' },
  loss: 'relative',
};

test('recipeOf writes a plan as a recipe that planOf reads back unchanged: a named variant, a custom network, the defaults left out', () => {
  const named = recipeOf('a', base, { checkpointEvery: 50, snapshotEvery: 100 });
  assert.equal(named.network, { variant: 'lite' }, 'a variant as it is stays a name');
  assert.equal(planOf(named), base);
  const custom: RunPlan = { ...base, network: { config: { ...variantConfig('lite'), channels: 12 } } };
  const c = recipeOf('b', custom, { checkpointEvery: 50 });
  assert.is(c.network['channels'], 12);
  assert.equal(planOf(c), custom);
  const plain: RunPlan = { data: { root: 'd', blur: 'blur' }, network: { config: variantConfig('full'), variant: 'full' }, steps: 5, pipeline: { batch: 1, crop: 64, flip: true, seed: 0 }, schedule: { kind: 'constant', initial: 1e-4 } };
  const p = recipeOf('c', plain, { checkpointEvery: 1 });
  assert.equal(Object.keys(p).sort(), ['checkpointEvery', 'data', 'name', 'network', 'pipeline', 'schedule', 'steps']);
  assert.equal(planOf(p), plain);
});

test('writeRecipe checks the recipe first and writes it whole; a recipe without milestones is a valid one', () => {
  const dir = path.join(tmp, 'run');
  const r = recipeOf('run', base, { checkpointEvery: 50 });
  writeRecipe(dir, r);
  assert.equal(readRecipe(path.join(dir, 'recipe.json')), r);
  assert.equal(fs.readdirSync(dir), ['recipe.json'], 'no temporary file left');
  const bad = { ...r, schedule: { ...base.schedule, total: 10 } };
  assert.throws(() => writeRecipe(path.join(tmp, 'bad'), bad), (e: unknown) => e instanceof UsageError && /schedule\.total \(10\) must equal steps \(300\)/.test(e.message));
  assert.not.ok(fs.existsSync(path.join(tmp, 'bad')), 'a refused recipe leaves nothing');
  assert.throws(() => checkRecipe({ ...r, milestones: { every: 75, sets: [] } }), /milestones\.every must be a multiple of checkpointEvery/);
  assert.throws(() => checkRecipe({ ...r, snapshotEvery: 0 }), /snapshotEvery must be a positive integer/);
});

test("an ablation run's recipe is the plan's network, length, crops and schedule at its seed", () => {
  const r = ablationRecipe(DEFAULT_PLAN, 'dffm', { data: 'build/data/train', seed: 1 });
  const plan = planOf(r);
  assert.is(r.name, 'dffm-s1');
  assert.equal(plan.network.config, planConfig(DEFAULT_PLAN, 'dffm'));
  assert.equal([plan.steps, plan.pipeline, plan.schedule], [DEFAULT_PLAN.steps, { batch: DEFAULT_PLAN.batch, crop: DEFAULT_PLAN.crop, flip: true, seed: 1 }, { kind: 'cosine', initial: DEFAULT_PLAN.lr, final: DEFAULT_PLAN.lrFinal, total: DEFAULT_PLAN.steps }]);
  assert.equal([r.snapshotEvery, r.checkpointEvery], [DEFAULT_PLAN.snapshotEvery, 50]);
});

test.run();
