import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { folderDigest } from '../helpers';
import { fixtureImage } from '../data/fixtures';
import { readTrainingState, type TrainingState } from '../../src/train/checkpoint';
import { readCurve } from '../../src/train/curve';
import { LossLog } from '../../src/train/loss-log';

const root = path.join(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'deblur-lab.js');
const env = { ...process.env, DEBLUR_BACKEND: 'wasm', OMP_NUM_THREADS: '1' };
function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env, timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'continue-cli-'));
const data = path.join(tmp, 'data'); // GoPro layout: a train split to train and tune baselines on, a test split to score
const run = path.join(tmp, 'run');
const recipe = {
  name: 'tiny',
  data: { root: data },
  network: { variant: 'lite', channels: 8, blocks: 1 },
  steps: 2000,
  pipeline: { batch: 2, crop: 16, seed: 3 },
  schedule: { kind: 'cosine', initial: 1e-3, final: 1e-5, total: 2000, warmup: 3 },
  ema: { decay: 0.99 },
  checkpointEvery: 2,
  milestones: { every: 4, sets: [{ name: 'held-out', root: data }] },
};

test.before(async () => {
  for (let i = 0; i < 4; i++) {
    await fixtureImage(path.join(data, 'train', 'seqA', 'blur', `${i}.png`), 28, 20, 700 + i);
    await fixtureImage(path.join(data, 'train', 'seqA', 'sharp', `${i}.png`), 28, 20, 800 + i);
  }
  for (let i = 0; i < 2; i++) {
    await fixtureImage(path.join(data, 'test', 'seqB', 'blur', `${i}.png`), 28, 20, 900 + i);
    await fixtureImage(path.join(data, 'test', 'seqB', 'sharp', `${i}.png`), 28, 20, 950 + i);
  }
  fs.mkdirSync(run, { recursive: true });
  fs.writeFileSync(path.join(run, 'recipe.json'), JSON.stringify(recipe, null, 2));
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The ledger tells one continuous story: segments follow each other, the last ends at the checkpoint. */
function assertLedger(s: TrainingState, sittings: number): void {
  const ledger = s.ledger!;
  assert.is(ledger.length, sittings, JSON.stringify(ledger));
  assert.is(ledger[0]!.fromStep, 0);
  for (let i = 1; i < ledger.length; i++) assert.is(ledger[i]!.fromStep, ledger[i - 1]!.toStep, `segment ${i} starts where ${i - 1} ended`);
  assert.is(ledger[ledger.length - 1]!.toStep, s.step);
  for (const seg of ledger) {
    assert.ok(seg.seconds > 0 && seg.processor === 'cpu' && seg.backend === 'wasm', JSON.stringify(seg));
    assert.match(seg.device, /XNNPACK/);
  }
}

/** The loss log holds each step up to the checkpoint once, in order. */
function assertLog(step: number): void {
  assert.equal(LossLog.read(path.join(run, 'log.csv')).map((r) => r['step']), Array.from({ length: step }, (_, i) => i + 1));
}

test('continue starts the run from its recipe: checkpoints, the ledger, milestone points with the baselines', () => {
  const r = cli('continue', run, '--until', '6');
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /starting .* \(tiny\)/);
  assert.match(r.out, /milestone 4: ema held-out [+-][\d.]+ dB \(\d\/2 improved, worst [+-][\d.]+ dB\); raw held-out/);
  const s = readTrainingState(run)!;
  assert.is(s.step, 6);
  assert.equal(s.ema?.since, 0);
  assert.is(s.ema?.updates, 6);
  assertLedger(s, 1);
  assertLog(6);
  const curve = readCurve(run);
  assert.equal(curve.map((p) => `${p.step}/${p.weights}`), ['4/ema', '4/raw']);
  assert.is(curve[0]!.sets['held-out']!.n, 2);
  assert.ok(curve[0]!.training.cpuHours > 0 && curve[0]!.training.gpuMinutes === 0);
  const baselines = JSON.parse(fs.readFileSync(path.join(run, 'baselines.json'), 'utf8')) as { sets: Record<string, Record<string, { n: number; label: string }>> };
  assert.is(baselines.sets['held-out']!['usm']!.n, 2);
  assert.match(baselines.sets['held-out']!['usm']!.label, /unsharp mask, σ [\d.]+, amount [\d.]+ \(tuned on 4 training pairs\)/);
  assert.ok(fs.existsSync(path.join(run, 'snapshots', 'step-000004', 'ema', 'model.json')));
  assert.match(r.out, /scoring the baselines on held-out/);

  // A pilot on the same data (another loss here) reuses the baselines' scores instead of taking minutes per set again.
  const pilot = path.join(tmp, 'pilot');
  fs.mkdirSync(pilot);
  fs.writeFileSync(path.join(pilot, 'recipe.json'), JSON.stringify({ ...recipe, loss: 'log-per-image' }));
  const p = cli('continue', pilot, '--until', '1');
  assert.is(p.code, 0, p.err);
  assert.match(p.out, /log-per-image loss/);
  assert.not.match(p.out, /scoring the baselines/);
  assert.equal(JSON.parse(fs.readFileSync(path.join(pilot, 'baselines.json'), 'utf8')), baselines);
  assert.is(readTrainingState(pilot)!.loss, 'log-per-image');
});

test('a sitting killed at any moment loses at most the steps since its checkpoint; the next one continues it', async () => {
  for (let kill = 0; kill < 2; kill++) {
    const before = readTrainingState(run)!.step;
    const child = spawn(process.execPath, [bin, 'continue', run, '--no-milestones'], { cwd: root, env, stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    const log = path.join(run, 'log.csv');
    const lastLogged = (): number => (fs.existsSync(log) ? LossLog.read(log).at(-1)?.['step'] ?? 0 : 0);
    let seen: number;
    try {
      while (lastLogged() < before + 5 + kill * 3) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, Math.random() * 600));
      seen = lastLogged();
    } finally {
      child.kill('SIGKILL'); // also when the test fails: a live sitting would hold the run's lock for the next tests
      await exited;
    }
    const s = readTrainingState(run)!;
    assert.ok(s.step >= seen - 2, `killed after step ${seen} had been logged, the checkpoint holds ${s.step}`);
    assert.is(s.step % 2, 0, 'checkpoints land every 2 steps');
    assertLedger(s, 2 + kill);
  }
  const s = readTrainingState(run)!;
  const r = cli('continue', run, '--until', String(s.step + 4), '--no-milestones');
  assert.is(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`continuing .* at step ${s.step}`));
  const after = readTrainingState(run)!;
  assert.is(after.step, s.step + 4);
  assertLedger(after, 4);
  assertLog(after.step); // the rows the killed sittings logged past their checkpoints are gone
  assert.is(after.ema!.updates, after.step, 'the average was updated once per kept step');
});

test('--for stops at the deadline with a checkpoint; a pending milestone is caught up from its snapshot', () => {
  const start = readTrainingState(run)!.step;
  const r = cli('continue', run, '--for', '1s', '--no-milestones');
  assert.is(r.code, 0, r.err);
  const stopped = /time is up: steps (\d+) → (\d+)/.exec(r.out);
  assert.ok(stopped, r.out);
  const s = readTrainingState(run)!;
  // How many steps fit in a second depends on the machine; what must hold is that the sitting
  // trained, stopped on its own long before the run's end, and kept every step it took.
  assert.equal([Number(stopped[1]), Number(stopped[2])], [start, s.step]);
  assert.ok(s.step > start && s.step < s.plannedSteps, `stopped at ${s.step}, started at ${start}`);
  assertLog(s.step);

  // Forget the curve point of step 4: the next sitting scores the snapshot it left.
  fs.writeFileSync(path.join(run, 'curve.jsonl'), '');
  const caught = cli('continue', run, '--until', String(s.step));
  assert.is(caught.code, 0, caught.err);
  assert.match(caught.out, /milestone 4 was never evaluated: scoring its snapshot/);
  assert.match(caught.out, /nothing to train/);
  // Where the sitting stopped on a milestone step it skipped (--no-milestones), its checkpoint gives that point too.
  const fromCheckpoint = s.step % 4 === 0 ? [`${s.step}/ema`, `${s.step}/raw`] : [];
  if (fromCheckpoint.length) assert.match(caught.out, new RegExp(`milestone ${s.step} has no snapshot: taking it from the checkpoint`));
  assert.equal(readCurve(run).map((p) => `${p.step}/${p.weights}`), ['4/ema', '4/raw', ...fromCheckpoint]);
});

test('a recipe that no longer matches the run is refused in one line, and nothing changes', () => {
  const before = folderDigest(run);
  const changed = { ...recipe, pipeline: { ...recipe.pipeline, batch: 3 } };
  fs.writeFileSync(path.join(run, 'recipe.json'), JSON.stringify(changed));
  const r = cli('continue', run, '--until', '100');
  fs.writeFileSync(path.join(run, 'recipe.json'), JSON.stringify(recipe, null, 2));
  assert.is(r.code, 2);
  const lines = r.err.trim().split('\n').filter((l) => !l.startsWith('deblur-lab: backend'));
  assert.is(lines.length, 1, r.err);
  assert.match(lines[0]!, /recipe\.json and the run's checkpoint disagree \(batch: recipe 3, checkpoint 2\)/);
  fs.writeFileSync(path.join(run, 'recipe.json'), JSON.stringify(recipe, null, 2));
  assert.is(folderDigest(run), before);

  // The loss the run minimises is part of it too: a run of the paper's loss does not go on under another.
  fs.writeFileSync(path.join(run, 'recipe.json'), JSON.stringify({ ...recipe, loss: 'log-per-image' }));
  const otherLoss = cli('continue', run, '--until', '100');
  fs.writeFileSync(path.join(run, 'recipe.json'), JSON.stringify(recipe, null, 2));
  assert.is(otherLoss.code, 2);
  assert.match(otherLoss.err, /disagree \(loss: recipe log-per-image, checkpoint paper\)/);
  assert.is(folderDigest(run), before);

  const bad = path.join(tmp, 'bad');
  fs.mkdirSync(bad);
  fs.writeFileSync(path.join(bad, 'recipe.json'), JSON.stringify({ ...recipe, schedule: { ...recipe.schedule, total: 10 } }));
  const refused = cli('continue', bad);
  assert.is(refused.code, 2);
  assert.match(refused.err, /schedule\.total \(10\) must equal steps \(2000\)/);
  fs.writeFileSync(path.join(bad, 'recipe.json'), JSON.stringify({ ...recipe, loss: 'psnr' }));
  assert.match(cli('continue', bad).err, /loss must be paper or log-per-image or relative \(got "psnr"\)/);
  const nothing = cli('continue', path.join(tmp, 'nowhere'));
  assert.is(nothing.code, 2);
  assert.match(nothing.err, /nowhere\/recipe\.json: no such recipe/);
});

test.run();
