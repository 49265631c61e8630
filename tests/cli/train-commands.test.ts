import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { folderDigest } from '../helpers';
import { LossLog } from '../../src/train/loss-log';
import { readTrainingState } from '../../src/train/checkpoint';
import { planOf, readRecipe } from '../../src/train/recipe';
import { planOfState } from '../../src/train/run';
import { fixtureImage } from '../data/fixtures';

const root = path.join(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'deblur-lab.js');
const env = { ...process.env, DEBLUR_BACKEND: 'wasm' };
function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env, timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'train-cli-'));
const data = path.join(tmp, 'data'); // blur/ + sharp/ pairs
const config = path.join(tmp, 'tiny.json');
const run = path.join(tmp, 'run');
const common = ['--config', config, '--batch', '2', '--crop', '16', '--schedule', 'constant', '--lr', '1e-3'];

test.before(async () => {
  for (let i = 0; i < 4; i++) {
    await fixtureImage(path.join(data, 'blur', `${i}.png`), 30, 22, 500 + i);
    await fixtureImage(path.join(data, 'sharp', `${i}.png`), 30, 22, 600 + i);
  }
  fs.writeFileSync(config, JSON.stringify({ variant: 'lite', channels: 8, blocks: 1 }));
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));


/** A user mistake: non-zero exit, one line on stderr after the backend report, no stack trace. */
function refused(r: { code: number | null; err: string }, re: RegExp, what: string): void {
  assert.ok(r.code !== 0 && r.code !== null, `${what}: exit ${r.code}`);
  const lines = r.err.trim().split('\n').filter((l) => !l.startsWith('deblur-lab: backend') && !l.startsWith('warning:'));
  assert.is(lines.length, 1, `${what}: expected one line, got\n${r.err}`);
  assert.match(lines[0]!, re, what);
}

test('train writes a checkpoint and a loss log; --resume continues it; a second run into it is refused', () => {
  const first = cli('train', '--data', data, '--out', run, '--steps', '2', '--checkpoint-every', '1', '--snapshot-every', '2', ...common);
  assert.is(first.code, 0, first.err);
  assert.match(first.out, /done: steps 0 → 2 of 2/);
  // --snapshot-every keeps complete weights folders at those steps (nothing half-written beside them).
  assert.equal(fs.readdirSync(path.join(run, 'snapshots')), ['step-000002']);
  assert.ok(fs.existsSync(path.join(run, 'snapshots', 'step-000002', 'model.json')));
  assert.equal(LossLog.read(path.join(run, 'log.csv')).map((r) => r['step']), [1, 2]);
  assert.is(readTrainingState(run)!.step, 2);
  // The state records what ran the kernels: the device the backend line printed.
  const device = /deblur-lab: backend \S+ on (.*)/.exec(first.err)?.[1];
  assert.ok(device, first.err);
  assert.is(readTrainingState(run)!.device, device);
  // One description of the run: train writes the recipe `continue` reads, which fixes what the checkpoint holds.
  const recipe = readRecipe(path.join(run, 'recipe.json'));
  assert.equal(
    [recipe.name, recipe.steps, recipe.schedule, recipe.checkpointEvery, recipe.snapshotEvery, recipe.network['channels'], recipe.milestones],
    ['run', 2, { kind: 'constant', initial: 1e-3 }, 1, 2, 8, undefined],
  );
  assert.equal(planOf(recipe), planOfState(readTrainingState(run)!));
  const nothing = cli('continue', run);
  assert.is(nothing.code, 0, nothing.err);
  assert.match(nothing.out, /already at step 2 of 2; nothing to train/);

  const more = cli('train', '--out', run, '--resume', '--steps', '4', '--backend', 'cpu');
  assert.is(more.code, 0, more.err);
  assert.match(more.out, /resuming .* at step 2/);
  assert.equal(LossLog.read(path.join(run, 'log.csv')).map((r) => r['step']), [1, 2, 3, 4]);
  assert.is(readTrainingState(run)!.step, 4);
  assert.match(readTrainingState(run)!.device ?? '', /^plain JavaScript/, "a resumed session records its own device");
  assert.is(readRecipe(path.join(run, 'recipe.json')).steps, 4, 'a longer run (a schedule without an end) is written into its recipe');
  // A train-made run continues under its recipe: lengthened there (its schedule allows it), `continue` trains on.
  fs.writeFileSync(path.join(run, 'recipe.json'), JSON.stringify({ ...readRecipe(path.join(run, 'recipe.json')), steps: 5 }));
  const cont = cli('continue', run, '--backend', 'cpu');
  assert.is(cont.code, 0, cont.err);
  assert.match(cont.out, /continuing .* at step 4 .*\n[^]*done: steps 4 → 5 of 5/);
  assert.equal(LossLog.read(path.join(run, 'log.csv')).map((r) => r['step']), [1, 2, 3, 4, 5]);
  assert.equal(readTrainingState(run)!.ledger!.map((g) => g.toStep), [2, 4, 5]);

  const before = folderDigest(run);
  refused(cli('train', '--data', data, '--out', run, '--steps', '2', ...common), /already holds a checkpoint: pass --resume/, 'train into a used --out');
  refused(cli('train', '--out', run, '--resume', '--variant', 'full'), /different network .*\(checkpoint vs asked: channels 8 vs 32, blocks 1 vs 8/, 'resume as another variant');
  refused(cli('train', '--out', run, '--resume', '--batch', '3'), /--batch 3 differs from the checkpoint's 2/, 'resume with another batch');
  refused(cli('train', '--out', run, '--resume', '--lr', '1'), /continues the checkpoint's own schedule and data: drop --lr/, 'resume with another learning rate');
  assert.is(folderDigest(run), before, 'a refused command changed the run folder');
});

test('train: bad data, sizes and options each give one clear line', async () => {
  const empty = path.join(tmp, 'empty');
  fs.mkdirSync(empty);
  const corrupt = path.join(tmp, 'corrupt');
  fs.mkdirSync(path.join(corrupt, 'blur'), { recursive: true });
  fs.mkdirSync(path.join(corrupt, 'sharp'), { recursive: true });
  fs.writeFileSync(path.join(corrupt, 'blur', 'a.png'), 'not a png');
  fs.writeFileSync(path.join(corrupt, 'sharp', 'a.png'), 'not a png');
  const out = path.join(tmp, 'never');
  const big = path.join(tmp, 'big'); // one 520² pair
  await fixtureImage(path.join(big, 'blur', 'a.png'), 520, 520, 41);
  await fixtureImage(path.join(big, 'sharp', 'a.png'), 520, 520, 42);
  refused(cli('train', '--data', path.join(tmp, 'missing'), '--out', out, '--steps', '1', ...common), /missing.*(no such|does not exist)/i, 'missing folder');
  refused(cli('train', '--data', empty, '--out', out, '--steps', '1', ...common), /cannot tell the dataset layout/, 'empty folder');
  refused(cli('train', '--data', corrupt, '--out', out, '--steps', '1', ...common), /no usable image pairs/, 'corrupt images');
  refused(cli('train', '--data', data, '--layout', 'gopro', '--out', out, '--steps', '1', ...common), /train: no such folder \(GoPro train split: expected/, 'wrong layout');
  refused(cli('train', '--data', data, '--out', out, '--steps', '1', ...common, '--crop', '64'), /smaller than the 64×64 crop.*at most 20/, 'crop too large');
  refused(cli('train', '--data', data, '--out', out, ...common), /--steps N or --epochs E/, 'no run length');
  refused(cli('train', '--data', big, '--variant', 'full', '--out', out, '--steps', '1', '--crop', '512'), /full \(even one image at a time\) at batch 1 × 512² needs about [\d.]+ GiB of wasm heap.*what fits: --crop \d+ at this batch/, 'too large for the heap');
  refused(cli('train', '--out', out, '--resume'), /holds no checkpoint to resume/, 'nothing to resume');
  assert.not.ok(fs.existsSync(path.join(out, 'checkpoint')), 'a refused run wrote a checkpoint');
});

test('a batch too large for the wasm heap at once trains in micro-batches, and says so', () => {
  const out = path.join(tmp, 'micro');
  const r = cli('train', '--data', 'data/sample', '--variant', 'lite', '--out', out, '--steps', '1', '--batch', '10', '--crop', '256');
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /a batch of 10 × 256² needs about [\d.]+ GiB of wasm heap at once \(ceiling 4 GiB\): each step accumulates the gradients of 2 micro-batches of 5/);
  assert.is(readTrainingState(out)!.step, 1);
});

test('Ctrl-C stops training after the current step with a checkpoint of it', async () => {
  const out = path.join(tmp, 'interrupted');
  const child = spawn(process.execPath, [bin, 'train', '--data', data, '--out', out, '--steps', '1000', ...common], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const log = path.join(out, 'log.csv');
  while (!(fs.existsSync(log) && LossLog.read(log).length >= 2)) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.is(code, 130);
  assert.match(stdout, /stopped: steps 0 → \d+ of 1000/);
  const state = readTrainingState(out)!;
  assert.ok(state.step >= 2 && state.step < 1000, `checkpoint at step ${state.step}`);
  assert.is(LossLog.read(log).length, state.step, 'the log and the checkpoint agree');
});

test('eval --json and deblur use the trained weights; their mistakes are refused without damage', async () => {
  const r = cli('eval', '--data', data, '--weights', run, '--json', '--scales');
  assert.is(r.code, 0, r.err);
  const report = JSON.parse(r.out) as { n: number; psnr: { input: number; output: number }; ssim: { input: number; output: number }; scales: Record<string, unknown> };
  assert.is(report.n, 4);
  for (const k of ['input', 'output'] as const) {
    assert.type(report.psnr[k], 'number');
    assert.type(report.ssim[k], 'number');
  }
  assert.ok(report.scales['S3'] && report.scales['S2'] && report.scales['S1']);
  // --every k scores pairs 0, k, 2k, ...: the snapshot at step 2 is a full weights folder.
  const spaced = cli('eval', '--data', data, '--weights', path.join(run, 'snapshots', 'step-000002'), '--json', '--every', '3');
  assert.is(spaced.code, 0, spaced.err);
  const ids = (JSON.parse(spaced.out) as { images: Array<{ id: string }> }).images.map((i) => i.id);
  const all = (JSON.parse(r.out) as { images: Array<{ id: string }> }).images.map((i) => i.id);
  assert.equal(ids, [all[0], all[3]]);
  const table = cli('eval', '--data', data, '--weights', path.join(run, 'checkpoint'));
  assert.is(table.code, 0, table.err);
  assert.match(table.out, /mean of 4/);
  assert.match(table.out, /baselines not scored: a blur\/ \+ sharp\/ folder has no training split to tune the baselines on/);

  const outDir = path.join(tmp, 'deblurred');
  const folder = cli('deblur', path.join(data, 'blur'), outDir, '--weights', run);
  assert.is(folder.code, 0, folder.err);
  assert.equal(fs.readdirSync(outDir).sort(), ['0.png', '1.png', '2.png', '3.png']);
  const meta = await sharp(path.join(outDir, '0.png')).metadata();
  assert.equal([meta.width, meta.height], [30, 22]);
  const single = path.join(tmp, 'one.png');
  assert.is(cli('deblur', path.join(data, 'blur', '1.png'), single, '--weights', run, '--tile', '16', '--overlap', '4').code, 0);
  assert.equal(fs.readFileSync(single).subarray(1, 4).toString(), 'PNG');

  const kept = folderDigest(outDir);
  refused(cli('deblur', path.join(data, 'blur'), outDir, '--weights', run), /already exist: pass --force/, 'deblur over outputs');
  assert.is(folderDigest(outDir), kept, 'deblur overwrote outputs');
  const corrupt = path.join(tmp, 'bad.png');
  fs.writeFileSync(corrupt, Buffer.from('\x89PNG\r\n\x1a\nbroken'));
  refused(cli('deblur', corrupt, path.join(tmp, 'x.png'), '--weights', run), /bad\.png: /, 'deblur a corrupt image');
  refused(cli('deblur', path.join(tmp, 'nope.png'), path.join(tmp, 'x.png'), '--weights', run), /nope\.png: no such file/, 'deblur a missing image');
  refused(cli('deblur', path.join(data, 'blur', '1.png'), path.join(tmp, 'x.jpg'), '--weights', run), /must end in \.png/, 'deblur to jpg');
  refused(cli('eval', '--data', data, '--weights', run, '--variant', 'lite'), /different network from variant lite \(weights vs variant: channels 8 vs 16, blocks 1 vs 2\)/, 'weights for another variant');
  refused(cli('eval', '--data', data, '--weights', path.join(tmp, 'no-weights')), /no such folder/, 'missing weights');
  refused(cli('eval', '--data', data, '--weights', data), /no model\.json here/, 'a folder without weights');
  refused(cli('eval', '--data', path.join(tmp, 'missing'), '--weights', run), /missing/, 'eval a missing folder');
  refused(cli('eval', '--data', data, '--layout', 'realblur', '--weights', run), /no RealBlur_J_test_list\.txt or RealBlur_R_test_list\.txt/, 'eval with a wrong layout');
  refused(cli('eval', '--data', data, '--weights', run, '--tile', '30'), /multiple of 4/, 'a bad tile');
  // Damaged weights: a truncated shard.
  const damaged = path.join(tmp, 'damaged');
  fs.cpSync(path.join(run, 'checkpoint'), damaged, { recursive: true });
  fs.rmSync(path.join(damaged, 'checkpoint.json'));
  const shard = path.join(damaged, 'group1-shard1of1.bin');
  fs.writeFileSync(shard, fs.readFileSync(shard).subarray(0, 100));
  refused(cli('eval', '--data', data, '--weights', damaged), /cannot load the model/, 'truncated weights');
});

test.run();
