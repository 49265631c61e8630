import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Fft2 } from '../../src/classical/fft2';
import { unsharpMask } from '../../src/classical/unsharp-mask';
import { fitKernel, oracleWiener, wienerDeconvolve, type BlurKernel } from '../../src/classical/wiener';
import { readRaster } from '../../src/data/image';
import { createRaster, cropRaster, type Raster } from '../../src/data/raster';
import { psnr } from '../../src/metrics';
import { seeded } from '../helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'classical-'));
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs tests/python/classical_reference.py on one job; returns its float32 output. */
function reference(job: Record<string, unknown>, input: Float32Array, kernel?: Float32Array): Float32Array {
  const file = (name: string): string => path.join(dir, `${name}-${Math.random().toString(36).slice(2)}.f32`);
  const spec: Record<string, unknown> = { ...job, input: file('in'), output: file('out') };
  fs.writeFileSync(spec['input'] as string, Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  if (kernel) {
    spec['kernel'] = file('k');
    fs.writeFileSync(spec['kernel'] as string, Buffer.from(kernel.buffer, kernel.byteOffset, kernel.byteLength));
  }
  execFileSync('/usr/bin/python3', ['tests/python/classical_reference.py'], { input: JSON.stringify([spec]) });
  const out = fs.readFileSync(spec['output'] as string);
  return new Float32Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  assert.is(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

async function astronaut(left: number, top: number, w: number, h: number): Promise<Raster> {
  return cropRaster((await readRaster('data/images/astronaut.png')).raster, left, top, w, h);
}

test('unsharp mask equals scipy.ndimage.gaussian_filter (reflect, truncate 4) + amount · detail, clipped, to 1e-6', async () => {
  const img = await astronaut(120, 60, 53, 41); // odd sizes, smaller than some filters' reach
  for (const [sigma, amount] of [[0.6, 1.5], [2, 0.7], [7, 2]] as const) {
    const want = reference({ op: 'gaussian', height: img.height, width: img.width, sigma, amount }, img.data);
    const got = unsharpMask(img, { sigma, amount }).data;
    assert.ok(maxAbs(got, want) < 1e-6, `σ ${sigma}, amount ${amount}: max |Δ| ${maxAbs(got, want)}`);
  }
});

test('2-D FFT equals numpy.fft.fft2 (to 1e-9 of its scale) and inverts to the input', () => {
  const [h, w] = [8, 32];
  const re = Float64Array.from(seeded(h * w, 11));
  const im = Float64Array.from(seeded(h * w, 12));
  const input = new Float32Array([...re, ...im]);
  const want = reference({ op: 'fft2', height: h, width: w }, input);
  const [r, i] = [Float64Array.from(input.subarray(0, h * w)), Float64Array.from(input.subarray(h * w))];
  const fft = new Fft2(h, w);
  fft.forward(r, i);
  const scale = Math.max(...Array.from(want, Math.abs));
  assert.ok(maxAbs([...r, ...i], want) / scale < 1e-6, `max |Δ| ${maxAbs([...r, ...i], want)} at scale ${scale}`); // float32 reference
  fft.inverse(r, i);
  assert.ok(maxAbs(r, input.subarray(0, h * w)) < 1e-6 && maxAbs(i, input.subarray(h * w)) < 1e-6, 'inverse');
  assert.throws(() => new Fft2(12, 16), /height must be a power of two/);
});

/** A diagonal motion kernel with a bend: 15×15, non-negative, summing to 1. */
function motionKernel(): BlurKernel {
  const size = 15;
  const weights = new Float64Array(size * size);
  for (let t = 0; t <= 10; t++) weights[(3 + Math.round(t * 0.8)) * size + (2 + t)] += t < 6 ? 1 : 2;
  const sum = weights.reduce((a, b) => a + b, 0);
  return { size, weights: weights.map((v) => v / sum) };
}

test('the oracle kernel fit finds a known blur, and Wiener deconvolution with it undoes most of the blur', async () => {
  const sharp = await astronaut(150, 20, 128, 128);
  const k = motionKernel();
  const blurred = createRaster(sharp.width, sharp.height, reference({ op: 'convolve', height: 128, width: 128, size: k.size }, sharp.data, Float32Array.from(k.weights)));
  // scipy's convolve is a true convolution: k is the point-spread function, centred in the 31² fit.
  const fitted = fitKernel(sharp, blurred, 31);
  const truth = new Float64Array(31 * 31);
  for (let v = 0; v < k.size; v++) for (let u = 0; u < k.size; u++) truth[(8 + v) * 31 + (8 + u)] = k.weights[v * k.size + u]!;
  const l1 = fitted.weights.reduce((s, w, i) => s + Math.abs(w - truth[i]!), 0);
  assert.ok(l1 < 0.35, `L1 distance of the fitted kernel from the true one: ${l1} (of 2 at most)`);

  const before = psnr(blurred, sharp);
  const restored = wienerDeconvolve(blurred, fitted, 1e-2);
  const after = psnr(restored, sharp);
  const withTruth = psnr(wienerDeconvolve(blurred, k, 1e-2), sharp);
  assert.ok(after > before + 5, `Wiener with the fitted kernel: ${before.toFixed(2)} → ${after.toFixed(2)} dB`);
  assert.ok(after > withTruth - 1, `fitted kernel ${after.toFixed(2)} dB vs the true kernel ${withTruth.toFixed(2)} dB`);
  // The shared-transform path gives the same image for the same ratio.
  const both = oracleWiener(sharp, blurred, [1e-2, 1], 31);
  assert.ok(maxAbs(both.restored[0]!.data, restored.data) < 1e-6);
  assert.ok(psnr(both.restored[1]!, sharp) < after, 'a much larger noise ratio restores less');
  assert.throws(() => wienerDeconvolve(blurred, fitted, 0), /noise-to-signal ratio must be positive/);
});

test('an unblurred pair fits the identity kernel, and a non-square, odd-sized image survives the padding', async () => {
  const sharp = await astronaut(10, 10, 45, 70);
  const k = fitKernel(sharp, sharp, 9);
  assert.ok(k.weights[4 * 9 + 4]! > 0.95, `centre weight ${k.weights[4 * 9 + 4]}`);
  const restored = wienerDeconvolve(sharp, k, 1e-4);
  assert.ok(psnr(restored, sharp) > 40, `identity deconvolution: ${psnr(restored, sharp)} dB`);
});

test.run();
