import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startBackendForTest } from '../helpers';
import { loadWeights } from '../../src/infer/weights';
import { variantConfig } from '../../src/model/config';
import { moduleArgs, PYTHON, pythonEnv } from '../../src/python';

// Debian's python3-torch (scripts/setup.sh --tests). Debian 12's torchrun (torch 1.13 on Python 3.11)
// fails before starting any worker (an enum comparison in its redirect parsing), so the test starts
// the ranks itself with the environment torchrun gives them (MASTER_ADDR/PORT, RANK, WORLD_SIZE).
const root = path.join(__dirname, '..', '..');
const TRAIN = moduleArgs('train');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ddp-'));
const config = JSON.stringify(variantConfig('lite'));
const common = ['--data', path.join(root, 'data', 'sample'), '--config', config, '--batch', '4', '--crop', '64', '--device', 'cpu', '--warmup', '0', '--lr', '1e-3'];
const env = pythonEnv({ ...process.env, OMP_NUM_THREADS: '1' });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function single(args: string[]): void {
  const r = spawnSync(PYTHON, [...TRAIN, ...common, ...args], { env, encoding: 'utf8', timeout: 300_000 });
  assert.is(r.status, 0, r.stderr);
}

/** Two ranks on gloo, as torchrun --nproc_per_node=2 would start them. */
async function twoRanks(args: string[]): Promise<void> {
  const port = await freePort();
  const codes = await Promise.all(
    [0, 1].map(
      (rank) =>
        new Promise<{ code: number | null; err: string }>((resolve) => {
          const p = spawn(PYTHON, [...TRAIN, ...common, ...args], { env: { ...env, MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), WORLD_SIZE: '2', RANK: String(rank), LOCAL_RANK: String(rank) } });
          let err = '';
          p.stderr.on('data', (d: Buffer) => (err += d.toString()));
          p.on('close', (code) => resolve({ code, err }));
        }),
    ),
  );
  for (const c of codes) assert.is(c.code, 0, c.err);
}

function floats(file: string): Float32Array {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** max |a − b| / max |b|. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length, 'sizes');
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / s;
}

test('DDP on 2 processes (gloo): the averaged gradient equals one process on the same global batch (1e-5 of the largest gradient)', async () => {
  single(['--out', path.join(dir, 'g1'), '--steps', '1', '--dump-grads', path.join(dir, 'g1.bin')]);
  await twoRanks(['--out', path.join(dir, 'g2'), '--steps', '1', '--dump-grads', path.join(dir, 'g2.bin')]);
  const a = floats(path.join(dir, 'g1.bin'));
  const b = floats(path.join(dir, 'g2.bin'));
  assert.is(a.length, 251523); // every parameter of lite
  assert.ok(b.some((v) => v !== 0));
  assert.ok(relDiff(b, a) < 1e-5, `relative difference ${relDiff(b, a)}`);
});

test('three steps on 2 processes, stopped after two and continued, end where one process does; import-torch reads the checkpoint', async () => {
  single(['--out', path.join(dir, 'one'), '--steps', '3']);
  await twoRanks(['--out', path.join(dir, 'two'), '--steps', '2']);
  await twoRanks(['--out', path.join(dir, 'two'), '--steps', '3']); // continues from its checkpoint
  const rows = fs.readFileSync(path.join(dir, 'two', 'log.csv'), 'utf8').trim().split('\n');
  assert.equal(rows.map((r) => r.split(',')[0]), ['step', '1', '2', '3']);
  for (const name of ['one', 'two']) {
    const r = spawnSync(process.execPath, [path.join(root, 'bin', 'deblur-lab.js'), 'import-torch', path.join(dir, name, 'checkpoint.pt'), '--out', path.join(dir, `w-${name}`)], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /imported twin \(twin layout, 251,523 parameters/);
  }
  await startBackendForTest('cpu');
  const one = await loadWeights(path.join(dir, 'w-one'));
  const two = await loadWeights(path.join(dir, 'w-two'));
  const a = one.model.getWeights();
  const b = two.model.getWeights();
  let moved = 0;
  for (const [i, t] of a.entries()) {
    const x = (await t.data()) as Float32Array;
    const y = (await b[i]!.data()) as Float32Array;
    assert.ok(relDiff(y, x) < 1e-4, `${one.model.weights[i]!.name}: ${relDiff(y, x)}`);
    moved += x.length;
  }
  assert.is(moved, 251523);
  one.model.dispose();
  two.model.dispose();
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
test.run();
