import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { startCpu, startWasm } from '../src/backend';
import { registerNativeKernels, registerWasmTrainingKernels } from '../src/kernels/index';
import { tensorToRaster, type Raster } from '../src/data/raster';

/** Deterministic uniform values in [-1, 1) (mulberry32), so cpu and wasm get identical inputs. */
export function seeded(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 * 2 - 1;
  }
  return out;
}

export function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Runs `fn` on the named backend and returns its outputs as plain arrays. */
export async function onBackend(name: 'cpu' | 'wasm', fn: () => tf.Tensor | tf.Tensor[], kernels?: KernelSet): Promise<Float32Array[]> {
  await startBackendForTest(name, kernels);
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const values = await Promise.all(list.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(list);
  return values;
}

/** max |a - b| / max(1, max |b|): an error relative to the reference's scale. */
export function relError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

/** Which kernels wasm runs: its own and this lab's wasm kernels, or with the native addon's over them. */
export type KernelSet = 'wasm' | 'native';
export const KERNEL_SETS: readonly KernelSet[] = ['wasm', 'native'];

/**
 * Makes `name` the active backend (wasm with the training kernels registered; `kernels` picks the
 * set, default: what startWasm picks). Asking for the native kernels where the addon is not built
 * fails: the test command builds it.
 */
export async function startBackendForTest(name: 'cpu' | 'wasm', kernels?: KernelSet): Promise<void> {
  if (name === 'wasm') {
    const r = await startWasm();
    if (typeof r === 'string') throw new Error(r);
    if (kernels === 'wasm') registerWasmTrainingKernels();
    if (kernels === 'native') {
      const addon = registerNativeKernels();
      if (typeof addon === 'string') throw new Error(`the native kernels are not available: ${addon}`);
    }
  } else {
    await startCpu();
  }
}

/** Awaits `p`, which must reject with a UsageError (the one-line kind a CLI user sees) matching `re`. */
export async function rejectsWithUsage(p: Promise<unknown>, re: RegExp): Promise<void> {
  const { UsageError } = await import('../src/errors');
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!(e instanceof UsageError)) throw new Error(`expected a UsageError matching ${re}, got ${e === undefined ? 'success' : String(e)}`);
  if (!re.test(e.message)) throw new Error(`UsageError "${e.message}" does not match ${re}`);
}

/** sha256 over every file's relative path and bytes under `dir` (less those `skip` names): equal digests mean nothing changed. */
export function folderDigest(dir: string, skip: (file: string) => boolean = () => false): string {
  const h = createHash('sha256');
  for (const f of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    if (skip(f)) continue;
    const p = path.join(dir, f);
    if (fs.statSync(p).isFile()) h.update(f).update(fs.readFileSync(p));
  }
  return h.digest('hex');
}

export const ROOT = path.join(__dirname, '..');
export const BIN = path.join(ROOT, 'bin', 'deblur-lab.js');

/** Runs the CLI in a child process from the project root: its exit code and what it printed. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env, timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** `n` seeded 32² images in (0.1, 0.9), as one batch and as rasters: a probe over the batch at once against the same images a few at a time. */
export async function seededImages(n: number, seed: number): Promise<{ batch: tf.Tensor4D; images: Raster[] }> {
  const batch = tf.tensor4d(seeded(n * 32 * 32 * 3, seed).map((v) => 0.5 + 0.4 * v), [n, 32, 32, 3]);
  const images: Raster[] = [];
  for (let i = 0; i < n; i++) {
    const one = batch.slice([i], [1]);
    images.push(await tensorToRaster(one));
    one.dispose();
  }
  return { batch, images };
}
