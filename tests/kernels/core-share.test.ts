import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { othersBusyCores, parseProcStat, sampleCpu, threadsFor, ThreadAdapter, type CpuSample } from '../../src/kernels/native/core-share';
import { loadNative, type NativeAddon } from '../../src/kernels/native/addon';
import { seeded, startBackendForTest } from '../helpers';

// The native kernels' thread count follows the machine's load (src/kernels/native/core-share.ts).

test('parseProcStat: busy = every tick but idle and iowait; total = the first eight fields', () => {
  // user nice system idle iowait irq softirq steal guest guest_nice
  const stat = 'cpu  100 5 40 1000 30 2 3 7 50 0\ncpu0 50 2 20 500 15 1 1 3 25 0\n';
  assert.equal(parseProcStat(stat), { busyTicks: 100 + 5 + 40 + 2 + 3 + 7, totalTicks: 100 + 5 + 40 + 1000 + 30 + 2 + 3 + 7 });
  assert.equal(parseProcStat('cpu  1 2 3 4\n'), { busyTicks: 6, totalTicks: 10 }); // old kernels: four fields
  assert.is(parseProcStat('intr 1 2 3\n'), null);
  assert.is(parseProcStat('cpu 1 x 3 4\n'), null);
});

test('othersBusyCores: the machine busy share of its cores less this process CPU per wall time', () => {
  const at = (busyTicks: number, totalTicks: number, ownMs: number, wallMs: number): CpuSample => ({ busyTicks, totalTicks, ownMs, wallMs });
  // 2 cores for 1 s at 100 ticks/s: 200 ticks; 150 busy = 1.5 cores; this process used 0.5 core.
  assert.ok(Math.abs(othersBusyCores(at(0, 0, 0, 0), at(150, 200, 500, 1000), 2) - 1.0) < 1e-12);
  assert.ok(Math.abs(othersBusyCores(at(10, 10, 100, 50), at(410, 410, 1100, 2050), 4) - 3.5) < 1e-12); // 4 cores all busy, own 0.5
  assert.is(othersBusyCores(at(0, 0, 0, 0), at(100, 200, 1000, 1000), 2), 0); // never negative (sampling skew)
  assert.is(othersBusyCores(at(5, 5, 0, 0), at(5, 5, 0, 1000), 2), 0); // no ticks between the samples
});

test('threadsFor: a core yielded per core others keep busy, changed only past 0.6 core of difference', () => {
  const table: Array<[current: number, max: number, others: number, expected: number]> = [
    [2, 2, 0, 2],
    [2, 2, 0.55, 2], // under 0.6: keep
    [2, 2, 0.65, 1],
    [1, 2, 0.45, 1], // yielding 1, others at 0.45: keep
    [1, 2, 0.35, 2],
    [1, 2, 1.9, 1], // never below one thread
    [8, 8, 2.7, 5],
    [5, 8, 3.4, 5], // yielding 3, others 3.4: keep
    [5, 8, 3.7, 4],
    [5, 8, 2.5, 5],
    [5, 8, 2.2, 6],
    [1, 1, 3, 1],
  ];
  for (const [current, max, others, expected] of table) assert.is(threadsFor(current, max, others), expected, `${current}/${max} with ${others}`);
});

test('ThreadAdapter: checks first after firstMs, then every periodMs, and sets the threads on a change', () => {
  const set: number[] = [];
  let clock = 0;
  let busy = 0;
  let total = 0;
  const sample = (): CpuSample => ({ busyTicks: busy, totalTicks: total, ownMs: 0, wallMs: clock });
  const adapter = new ThreadAdapter({ setThreads: (n) => set.push(n) }, 2, { cores: 2, sample, firstMs: 1000, periodMs: 2000, now: () => clock });
  clock = 999;
  adapter.tick(); // before the first check: nothing sampled
  clock = 0;
  const window = (othersBusy: number) => {
    clock += 1000;
    busy += othersBusy * 100;
    total += 200;
    adapter.tick();
  };
  window(1); // t = 1 s: the first check sees one core busy
  window(1); // t = 2 s: within the 2 s period, no check
  window(1); // t = 3 s: checked (two windows at one core)
  window(0.5);
  window(0); // t = 5 s: 0.25 core over the last two windows: back to two
  window(0);
  window(2); // t = 7 s: 1 core over t = 5..7
  assert.equal(set, [1, 2, 1]);
  assert.is(adapter.threads, 1);
});

const busyChildren = (n: number): ChildProcess[] => Array.from({ length: n }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('with every core kept busy by other processes, the real load reads as nearly all cores and the addon goes to one thread', async () => {
  const cores = os.cpus().length;
  const addon = loadNative();
  if (typeof addon === 'string') throw new Error(`the native kernels are not available: ${addon}`);
  const max = addon.threads();
  const adapter = new ThreadAdapter(addon, max, { cores, firstMs: 0 });
  const before = sampleCpu()!;
  const children = busyChildren(cores);
  try {
    await sleep(1500);
    const after = sampleCpu()!;
    // Other load on the machine can only add to this, so it is a lower bound that holds on a busy machine too.
    const others = othersBusyCores(before, after, cores);
    assert.ok(others > cores - 0.5, `others busy ${others.toFixed(2)} of ${cores} cores`);
    adapter.tick();
    assert.is(adapter.threads, 1);
    assert.is(addon.threads(), 1);
  } finally {
    children.forEach((c) => c.kill('SIGKILL'));
    addon.setThreads(max);
  }
});

test('a convolution computes the same on one thread as on all of them (the plans are kept per thread count)', async () => {
  await startBackendForTest('wasm', 'native');
  const addon = loadNative() as NativeAddon;
  const max = addon.threads();
  const x = tf.tensor4d(seeded(4 * 32 * 32 * 16, 1), [4, 32, 32, 16]);
  const f = tf.tensor4d(seeded(3 * 3 * 16 * 16, 2), [3, 3, 16, 16]);
  const convAndGradient = () => tf.tidy(() => {
    const y = tf.conv2d(x, f, 1, 'same');
    const dx = tf.grad((a: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, f, 1, 'same').square().sum())(x);
    return [y.dataSync(), dx.dataSync()];
  });
  try {
    const [yAll, dxAll] = convAndGradient();
    addon.setThreads(1);
    assert.is(addon.threads(), 1);
    const [yOne, dxOne] = convAndGradient();
    for (const [a, b, what] of [[yAll!, yOne!, 'y'], [dxAll!, dxOne!, 'dx']] as const) {
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (1 + Math.abs(a[i]!)));
      assert.ok(worst < 1e-5, `${what}: ${worst}`);
    }
  } finally {
    addon.setThreads(max);
    tf.dispose([x, f]);
  }
  assert.throws(() => addon.setThreads(0), /at least 1/);
});

test.run();
