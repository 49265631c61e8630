import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fixtureImage } from '../data/fixtures';
import { BIN, ROOT, runCli } from '../helpers';
import { readTrainingState } from '../../src/train/checkpoint';
import { LOCK_FILE } from '../../src/train/lock';
import { LossLog } from '../../src/train/loss-log';

const env = { ...process.env, DEBLUR_BACKEND: 'wasm', OMP_NUM_THREADS: '1' };
const cli = (...args: string[]): ReturnType<typeof runCli> => runCli(args, env);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'run-faults-'));
const data = path.join(tmp, 'data');
const run = path.join(tmp, 'run');
const recipe = {
  name: 'tiny',
  data: { root: data, layout: 'pairs' },
  network: { variant: 'lite', channels: 8, blocks: 1 },
  steps: 5000,
  pipeline: { batch: 2, crop: 16, seed: 3 },
  schedule: { kind: 'cosine', initial: 1e-3, final: 1e-5, total: 5000 },
  checkpointEvery: 2,
  milestones: { every: 1000, sets: [] },
};

test.before(async () => {
  for (let i = 0; i < 4; i++) {
    await fixtureImage(path.join(data, 'blur', `${i}.png`), 24, 20, 500 + i);
    await fixtureImage(path.join(data, 'sharp', `${i}.png`), 24, 20, 600 + i);
  }
  fs.mkdirSync(run, { recursive: true });
  fs.writeFileSync(path.join(run, 'recipe.json'), JSON.stringify(recipe, null, 2));
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const logged = (): number[] => (fs.existsSync(path.join(run, 'log.csv')) ? LossLog.read(path.join(run, 'log.csv')).map((r) => r['step']!) : []);

test('one process per run: a second continue is refused naming the first; SIGTERM ends the first with a checkpoint and no lock left', async () => {
  const first = spawn(process.execPath, [BIN, 'continue', run, '--no-milestones'], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  first.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((r) => first.on('exit', (code) => r(code)));
  try {
    while ((logged().at(-1) ?? 0) < 3) await new Promise((r) => setTimeout(r, 50));
    const second = cli('continue', run, '--no-milestones');
    assert.is(second.code, 2);
    assert.match(second.err, new RegExp(`the run ${run.replace(/[/.]/g, '\\$&')} is in use by process ${first.pid} \\(.*continue.*\\)`));
    assert.not.match(second.err, /\n\s+at /, 'no stack trace');
  } catch (e) {
    first.kill('SIGKILL'); // a live sitting would hold the run's lock for the next tests
    await exited;
    throw e;
  }

  first.kill('SIGTERM');
  const code = await exited;
  assert.ok(code !== 0, `a stopped sitting exits non-zero (${code})`);
  assert.match(err, /SIGTERM: stopping after this step and writing a checkpoint/);
  assert.not.ok(fs.existsSync(path.join(run, LOCK_FILE)), 'the lock is released');
  const s = readTrainingState(run)!;
  assert.equal(logged(), Array.from({ length: s.step }, (_, i) => i + 1), 'the log holds each step to the checkpoint once');
  assert.ok(fs.readdirSync(run).every((n) => !n.includes('.tmp')), 'no temporary files');

  const again = cli('continue', run, '--until', String(s.step + 2), '--no-milestones');
  assert.is(again.code, 0, again.err);
  assert.is(readTrainingState(run)!.step, s.step + 2);
  assert.equal(logged(), Array.from({ length: s.step + 2 }, (_, i) => i + 1));
});

test('a lock left by a process that is gone is taken over, with a note', () => {
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(gone.stdout);
  fs.writeFileSync(path.join(run, LOCK_FILE), JSON.stringify({ pid, host: os.hostname(), started: '2026-01-01T00:00:00.000Z', command: 'deblur-lab.js continue' }));
  const step = readTrainingState(run)!.step;
  const r = cli('continue', run, '--until', String(step + 2), '--no-milestones');
  assert.is(r.code, 0, r.err);
  assert.match(r.err, new RegExp(`locked by process ${pid} .* which is no longer running: taking the lock over`));
  assert.not.ok(fs.existsSync(path.join(run, LOCK_FILE)));
});

test('a damaged checkpoint is named (truncated, or a flipped bit) and the newest whole snapshot offered; --from-snapshot restarts there', () => {
  const snapRun = path.join(tmp, 'snap-run');
  fs.mkdirSync(snapRun);
  fs.writeFileSync(path.join(snapRun, 'recipe.json'), JSON.stringify({ ...recipe, milestones: { every: 4, sets: [] } }, null, 2));
  const first = cli('continue', snapRun, '--until', '10');
  assert.is(first.code, 0, first.err);
  assert.ok(fs.existsSync(path.join(snapRun, 'snapshots', 'step-000008', 'model.json')));
  const ckpt = path.join(snapRun, 'checkpoint');
  const optimizer = path.join(ckpt, 'optimizer.bin');
  const whole = fs.readFileSync(optimizer);
  fs.writeFileSync(optimizer, whole.subarray(0, whole.length - 100));
  const truncated = cli('continue', snapRun, '--until', '12');
  assert.is(truncated.code, 2);
  assert.match(truncated.err, /optimizer\.bin is \d+ bytes where checkpoint\.json says \d+ \(truncated\)/);
  assert.match(truncated.err, /its newest whole snapshot is .*step-000008 \(step 8\): --from-snapshot restarts the run there/);
  fs.writeFileSync(optimizer, whole);
  const shard = fs.readdirSync(ckpt).find((n) => n.endsWith('.bin') && n.startsWith('group'))!;
  const bytes = fs.readFileSync(path.join(ckpt, shard));
  bytes[17] ^= 0x10;
  fs.writeFileSync(path.join(ckpt, shard), bytes);
  const flipped = cli('continue', snapRun, '--until', '12');
  assert.is(flipped.code, 2);
  assert.match(flipped.err, new RegExp(`${shard.replace(/[.]/g, '\\.')} does not match its checksum \\(damaged\\)`));

  const restarted = cli('continue', snapRun, '--until', '12', '--from-snapshot');
  assert.is(restarted.code, 0, restarted.err);
  assert.match(restarted.err, /restarting from the snapshot at step 8/);
  const s = readTrainingState(snapRun)!;
  assert.is(s.step, 12);
  assert.equal(s.restarts?.map((r) => [r.step, r.from]), [[8, 'snapshot']]);
  assert.equal(LossLog.read(path.join(snapRun, 'log.csv')).map((r) => r['step']), Array.from({ length: 12 }, (_, i) => i + 1), 'steps 9 and 10 logged once, by the restart');
  assert.is(s.ledger!.at(-1)!.toStep, 12);
  assert.is(s.ledger!.at(-2)!.toStep, 8, 'the ledger was cut back to the snapshot');
});

/**
 * Runs `body` with a small tmpfs mounted at `dir` (made here; a fresh temporary folder when not
 * given), then unmounts and removes it. Where this machine cannot mount one (not root, or no mount
 * namespace) it says so and skips the body: the full-disk tests need root.
 */
async function withSmallDisk(size: string, body: (disk: string) => Promise<void> | void, dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tiny-disk-'))): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    console.log('  (this machine cannot mount a tmpfs: the full-disk test needs root)');
    return;
  }
  try {
    await body(dir);
  } finally {
    spawnSync('umount', [dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Fills a disk to leave `left` bytes free; removing `filler` gives the room back. */
function fill(disk: string, left = 0): string {
  const st = fs.statfsSync(disk);
  const filler = path.join(disk, 'filler');
  fs.writeFileSync(filler, Buffer.alloc(Math.max(0, st.bavail * st.bsize - left)));
  return filler;
}

test('a full disk at checkpoint time: one line (what, where, the space left, the last whole checkpoint), exit 1, no temporary files; the run resumes once there is room', async () => {
  await withSmallDisk('4m', (disk) => {
    const small = path.join(disk, 'run');
    fs.mkdirSync(small);
    fs.writeFileSync(path.join(small, 'recipe.json'), JSON.stringify(recipe, null, 2));
    const first = cli('continue', small, '--until', '2', '--no-milestones');
    assert.is(first.code, 0, first.err);
    const sizeOf = (dir: string): number => fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    const checkpoint = sizeOf(path.join(small, 'checkpoint'));
    // Leave room for the log, not for a second checkpoint beside the first.
    const filler = fill(disk, Math.floor(checkpoint / 2));
    const full = cli('continue', small, '--until', '6', '--no-milestones');
    assert.is(full.code, 1, full.err);
    const lines = full.err.trim().split('\n').filter((l) => !l.startsWith('deblur-lab: backend') && !/^train:/.test(l) && l.trim() !== '');
    assert.is(lines.length, 1, full.err);
    assert.match(lines[0]!, /^deblur-lab: cannot write the checkpoint \(.*checkpoint\.tmp-\d+.*\): no space left on the device, \d+ MiB free there; the last whole checkpoint \(step 2\) is intact: make room and run the same command again to resume$/);
    assert.equal(fs.readdirSync(small).filter((n) => n.includes('tmp')), [], 'no temporary files left');
    assert.is(readTrainingState(small)!.step, 2);
    fs.rmSync(filler);
    const again = cli('continue', small, '--until', '6', '--no-milestones');
    assert.is(again.code, 0, again.err);
    assert.is(readTrainingState(small)!.step, 6);
    assert.equal(LossLog.read(path.join(small, 'log.csv')).map((r) => r['step']), [1, 2, 3, 4, 5, 6]);
  });
});

test('a full disk at log time, between checkpoints: the loss log is named, the run resumes with each step logged once', async () => {
  await withSmallDisk('4m', (disk) => {
    const small = path.join(disk, 'run');
    fs.mkdirSync(small);
    // Checkpoints far apart: the log's rows are the only writes after the first checkpoint.
    fs.writeFileSync(path.join(small, 'recipe.json'), JSON.stringify({ ...recipe, checkpointEvery: 1000 }, null, 2));
    const first = cli('continue', small, '--until', '2', '--no-milestones');
    assert.is(first.code, 0, first.err);
    // Not one page left: even the run's lock cannot be written, and that is said in one line, leaving no empty lock behind.
    const filler = fill(disk);
    const locked = cli('continue', small, '--until', '400', '--no-milestones');
    assert.is(locked.code, 1, locked.err);
    assert.match(locked.err, /^deblur-lab: cannot write the lock of the run .*\.lock\): no space left on the device, 0 MiB free there; nothing was changed: make room and run the same command again\n$/m);
    assert.not.match(locked.err, /\n\s+at /, 'no stack trace');
    assert.not.ok(fs.existsSync(path.join(small, LOCK_FILE)), 'no empty lock left');
    // One page for the lock: the log's rows are then the first writes to find no room.
    fs.truncateSync(filler, fs.statSync(filler).size - fs.statfsSync(disk).bsize);
    // A row is ~80 bytes: the log outgrows its last page within a few dozen steps.
    const full = cli('continue', small, '--until', '400', '--no-milestones');
    assert.is(full.code, 1, full.err);
    const lines = full.err.trim().split('\n').filter((l) => !l.startsWith('deblur-lab: backend') && !/^train:/.test(l) && l.trim() !== '');
    assert.is(lines.length, 1, full.err);
    assert.match(lines[0]!, /^deblur-lab: cannot write the loss log \(.*log\.csv\): no space left on the device, 0 MiB free there; the last whole checkpoint \(step 2\) is intact: make room and run the same command again to resume$/);
    fs.rmSync(filler);
    const again = cli('continue', small, '--until', '5', '--no-milestones');
    assert.is(again.code, 0, again.err);
    assert.equal(LossLog.read(path.join(small, 'log.csv')).map((r) => r['step']), [1, 2, 3, 4, 5], 'the rows past the checkpoint were cut back and logged once');
  });
});

test('a full disk at snapshot time: the snapshot is named, no half snapshot left, the run resumes and takes it', async () => {
  const small = path.join(tmp, 'snapshot-run');
  fs.mkdirSync(small);
  fs.writeFileSync(path.join(small, 'recipe.json'), JSON.stringify({ ...recipe, milestones: { every: 4, sets: [] } }, null, 2));
  // The snapshots alone live on the small disk, filled: the checkpoint and the log have room.
  await withSmallDisk('2m', (snaps) => {
    const filler = fill(snaps);
    const full = cli('continue', small, '--until', '6');
    assert.is(full.code, 1, full.err);
    const lines = full.err.trim().split('\n').filter((l) => l.startsWith('deblur-lab: cannot'));
    assert.is(lines.length, 1, full.err);
    assert.match(lines[0]!, /^deblur-lab: cannot write a snapshot \(.*snapshots.*\): no space left on the device, 0 MiB free there; the last whole checkpoint \(step 4\) is intact: make room and run the same command again to resume$/);
    assert.not.match(full.err, /\n\s+at /, 'no stack trace');
    assert.equal(fs.readdirSync(snaps), ['filler'], 'no half-written snapshot left');
    fs.rmSync(filler);
    const again = cli('continue', small, '--until', '6');
    assert.is(again.code, 0, again.err);
    assert.ok(fs.existsSync(path.join(snaps, 'step-000004', 'model.json')), `the missed snapshot was taken: ${fs.readdirSync(snaps)}`);
    assert.equal(LossLog.read(path.join(small, 'log.csv')).map((r) => r['step']), [1, 2, 3, 4, 5, 6]);
  }, path.join(small, 'snapshots'));
  fs.rmSync(small, { recursive: true, force: true });
});

test.run();
