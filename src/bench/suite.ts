import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { moduleArgs, pythonEnv } from '../python';
import { variantConfig, type VariantName } from '../model/config';
import type { BenchCase, CaseResult } from './case';
import type { PeerCase, PeerCaseResult } from './peer-case';
import { maximUnavailable } from '../peers/maxim';
import type { MachineLimit } from './limit';
import type { Timing } from './timing';

/**
 * One row of the suite: a case (without its repeat counts), run on every tfjs backend and on the
 * PyTorch twin; `threads`, where given, replaces the suite's thread count on both sides.
 */
export type SuiteCase = Omit<BenchCase, 'steps' | 'warmup'> & { threads?: number };

/**
 * The benchmark's cases for each variant: training and inference at 4 × 128² and 4 × 256², the
 * 4 × 128² training step on one thread (as the long runs train, beside other work; unless the suite
 * runs on one thread anyway), and inference on one 1280×720 frame. `quick`: tiny sizes that check
 * the whole machinery in seconds.
 */
export function standardCases(variants: VariantName[] = ['full', 'lite'], quick = false, suiteThreads = 2): SuiteCase[] {
  const cases: SuiteCase[] = [];
  const oneThread = (c: SuiteCase): SuiteCase[] => (suiteThreads > 1 ? [{ ...c, infer: false, threads: 1 }] : []);
  for (const variant of variants) {
    if (quick) {
      const small: SuiteCase = { variant, batch: 2, height: 32, width: 32, train: true, infer: true };
      cases.push(small, ...oneThread(small));
      cases.push({ variant, batch: 1, height: 48, width: 64, train: false, infer: true });
      continue;
    }
    for (const side of [128, 256]) {
      const c: SuiteCase = { variant, batch: 4, height: side, width: side, train: true, infer: true };
      cases.push(c, ...(side === 128 ? oneThread(c) : []));
    }
    cases.push({ variant, batch: 1, height: 720, width: 1280, train: false, infer: true });
  }
  return cases;
}

/** What the PyTorch twin measured for a case (deblur_twin.bench's JSON). */
export interface TorchResult {
  torch: string;
  threads: number;
  /** The memory layout of the network and its input: PyTorch's default (NCHW) or channels-last (NHWC). */
  layout?: TorchLayout;
  /** The BLAS build and the kernel it chose (OpenBLAS's core type), where torch uses OpenBLAS. */
  blas?: string | null;
  params: number;
  trainStepMs: number | null;
  inferMs: number | null;
  train: Timing | null;
  infer: Timing | null;
  peakRssBytes: number;
}

export type TorchLayout = 'nchw' | 'channels_last';
export const TORCH_LAYOUTS: readonly TorchLayout[] = ['nchw', 'channels_last'];

export interface SuiteRow {
  case: SuiteCase;
  /** One result per tfjs engine (by its label), or the error that case hit. */
  tfjs: Record<string, CaseResult | { error: string }>;
  /** The twin in PyTorch's default layout (NCHW). */
  torch: TorchResult | { error: string } | null;
  /** The twin in channels-last; the report compares each part against the faster of the two. */
  torchChannelsLast?: TorchResult | { error: string } | null;
}

/**
 * Environment variables the machine may set that pin OpenBLAS to an older kernel than the CPU
 * runs best (a Haswell kernel on AVX-512 cores): the twin runs without them, with the kernel
 * OpenBLAS picks for the CPU, which its JSON names.
 */
export const BLAS_OVERRIDES = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'] as const;

export interface RunnerSettings {
  root: string;
  python: string;
  steps: number;
  warmup: number;
  warmupSeconds: number;
  threads: number;
  /** Where each case's progress lines go. */
  log: (line: string) => void;
}

/** Runs `cmd` and parses the last line it printed as JSON; stderr streams through `log`. */
function runJson<T>(cmd: string, args: string[], cwd: string, log: (line: string) => void, env: NodeJS.ProcessEnv = {}, unset: readonly string[] = []): Promise<T | { error: string }> {
  return new Promise((resolve) => {
    const childEnv = { ...process.env, ...env };
    for (const k of unset) delete childEnv[k];
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const lines = err.split('\n');
      err = lines.pop()!;
      lines.filter((l) => l.startsWith('bench:')).forEach((l) => log(`    ${l}`));
      // keep the tail for an error message
      if (err.length > 4000) err = err.slice(-4000);
    });
    child.on('error', (e) => resolve({ error: `${cmd}: ${e.message}` }));
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0) {
        try {
          resolve(JSON.parse(last) as T);
          return;
        } catch {
          /* fall through */
        }
      }
      const said = (err || out).trim().split('\n').slice(-3).join(' | ');
      const rerun = [...(unset.length ? [`env ${unset.map((k) => `-u ${k}`).join(' ')}`] : []), ...Object.entries(env).map(([k, v]) => `${k}=${v}`), path.basename(cmd), ...args.map((a) => (/[\s{}"]/.test(a) ? `'${a}'` : a))].join(' ');
      resolve({ error: `exited ${code}${said ? `: ${said}` : ' with no message'} (alone: ${rerun})` });
    });
  });
}

/** A tfjs backend as the suite runs it: a row label, the backend, and the environment that picks its kernels. */
export interface TfjsEngine {
  label: string;
  backend: string;
  env: NodeJS.ProcessEnv;
}

/**
 * The suite's engines for these backends: wasm runs twice when the native kernels are built, with
 * them ('wasm+native') and without ('wasm', DEBLUR_NATIVE=0), so each run shows what they buy.
 * Every one runs on `threads` threads, as the PyTorch twin does (OMP_NUM_THREADS also keeps the
 * native kernels from yielding cores to other processes mid-run: src/kernels/native/core-share.ts).
 */
export function tfjsEngines(backends: string[], native: boolean, threads: number): TfjsEngine[] {
  const env = { ...sameWaitingAsPeer(), OMP_NUM_THREADS: String(threads) };
  return backends.flatMap((backend) =>
    backend === 'wasm' && native
      ? [{ label: 'wasm+native', backend, env }, { label: 'wasm', backend, env: { ...env, DEBLUR_NATIVE: '0' } }]
      : [{ label: backend, backend, env }],
  );
}

/**
 * The OpenMP waiting the PyTorch twin gets, for the lab's side too. The lab's native kernels wait
 * passively unless told otherwise (right beside other busy processes: docs/PERFORMANCE.md,
 * "Sharing the machine"); the twin runs with libgomp's default, a spin of 300,000 rounds before
 * sleeping, which on a quiet machine is about 10% faster for `full` 4 × 128². The suite times both
 * alike: libgomp's default spin unless the user set a waiting policy (which both sides then get).
 */
export function sameWaitingAsPeer(): NodeJS.ProcessEnv {
  if (process.env['OMP_WAIT_POLICY'] !== undefined || process.env['GOMP_SPINCOUNT'] !== undefined) return {};
  return { GOMP_SPINCOUNT: '300000' };
}

/** Times one case on one tfjs engine, in a process of its own (so its peak memory is its own). */
export function runTfjsCase(c: SuiteCase, engine: TfjsEngine, s: RunnerSettings): Promise<CaseResult | { error: string }> {
  const mode = c.train && c.infer ? 'both' : c.train ? 'train' : 'infer';
  const args = [
    path.join(s.root, 'bin', 'deblur-lab.js'), 'bench', '--variant', c.variant, '--batch', String(c.batch), '--size', `${c.height}x${c.width}`,
    '--mode', mode, '--steps', String(s.steps), '--warmup', String(s.warmup), '--warmup-seconds', String(s.warmupSeconds), '--backend', engine.backend, '--json',
  ];
  return runJson<CaseResult>(process.execPath, args, s.root, s.log, c.threads ? withThreads(engine, c.threads).env : engine.env);
}

/** The engine on `threads` threads (its kernels' OpenMP team). */
export function withThreads(engine: TfjsEngine, threads: number): TfjsEngine {
  return { ...engine, env: { ...engine.env, OMP_NUM_THREADS: String(threads) } };
}

/** Times the PyTorch twin on the same case, with `threads` intra-op threads, in one memory layout, without the machine's BLAS overrides. */
export function runTorchCase(c: SuiteCase, s: RunnerSettings, layout: TorchLayout = 'nchw'): Promise<TorchResult | { error: string }> {
  const args = [
    ...moduleArgs('bench'), '--config', JSON.stringify(variantConfig(c.variant)), '--batch', String(c.batch),
    '--height', String(c.height), '--width', String(c.width), '--steps', String(s.steps), '--warmup', String(s.warmup),
    '--warmup-seconds', String(s.warmupSeconds), '--threads', String(c.threads ?? s.threads), ...(c.train ? ['--train'] : []), ...(c.infer ? ['--infer'] : []),
    ...(layout === 'channels_last' ? ['--channels-last'] : []),
  ];
  return runJson<TorchResult>(s.python, args, s.root, s.log, pythonEnv({}, path.join(s.root, 'python')), BLAS_OVERRIDES);
}

const sizeLabel = (height: number, width: number): string => (height === width ? `${height}²` : `${width}×${height}`);
/** "1 thread", "2 threads". */
export const threadsLabel = (n: number): string => `${n} thread${n === 1 ? '' : 's'}`;
export const caseLabel = (c: SuiteCase): string => `${c.variant} ${c.batch}×${sizeLabel(c.height, c.width)}${c.threads ? `, ${threadsLabel(c.threads)}` : ''}`;
export const peerCaseLabel = (c: { peer: string; height: number; width: number }): string => `${c.peer} 1×${sizeLabel(c.height, c.width)}`;

/** A peer's case in the suite: one image of this size. */
export type SuitePeerCase = Pick<PeerCase, 'peer' | 'height' | 'width'>;

/** A peer's row: inference only, on the engines it ran on; no twin to compare with. */
export interface SuitePeerRow {
  case: SuitePeerCase;
  tfjs: Record<string, PeerCaseResult | { error: string }>;
}

/**
 * The peers' cases when they are installed: MAXIM on a 256² crop and on a 1280×720 frame (in
 * tiles, as deblur runs it). None for `quick` (a peer on tiny inputs measures nothing useful).
 */
export function peerCases(quick = false): SuitePeerCase[] {
  if (quick || maximUnavailable() !== undefined) return [];
  return [{ peer: 'maxim', height: 256, width: 256 }, { peer: 'maxim', height: 720, width: 1280 }];
}

/** Times a peer's case on one tfjs engine, in a process of its own. */
export function runPeerChild(c: SuitePeerCase, engine: TfjsEngine, s: RunnerSettings): Promise<PeerCaseResult | { error: string }> {
  const args = [
    path.join(s.root, 'bin', 'deblur-lab.js'), 'bench', '--peer', c.peer, '--size', `${c.height}x${c.width}`,
    '--steps', String(s.steps), '--warmup', String(s.warmup), '--warmup-seconds', String(s.warmupSeconds), '--backend', engine.backend, '--json',
  ];
  return runJson<PeerCaseResult>(process.execPath, args, s.root, s.log, engine.env);
}

/** The machine's limit (bench --limit) on one engine, in a process of its own. */
export function measureLimitChild(engine: TfjsEngine, s: RunnerSettings): Promise<MachineLimit | { error: string }> {
  const args = [path.join(s.root, 'bin', 'deblur-lab.js'), 'bench', '--limit', '--backend', engine.backend];
  return runJson<MachineLimit>(process.execPath, args, s.root, s.log, engine.env);
}
