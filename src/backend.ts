import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { installLeanBackprop, installLeanGradients, registerCpuKernelFixes, registerNativeKernels, threadsAdapt } from './kernels/index';
import { UsageError } from './errors';
import { guardWebGpu } from './webgpu-guard';

/** The tfjs backends this lab knows, best first. */
export const BACKENDS = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendReport {
  backend: BackendName;
  /** What runs the kernels, in words (e.g. "NVIDIA H100 (Vulkan)", "XNNPACK, SIMD, 1 thread"). */
  device: string;
  /** Why each better backend was passed over; empty when the choice was explicit. */
  skipped: string[];
}

export interface SelectOptions {
  /** 'auto' (default) or a backend name; overrides DEBLUR_BACKEND when given. */
  backend?: BackendName | 'auto';
  /** Where the one-line report goes; default stderr, so that --json output stays clean. */
  log?: (line: string) => void;
}

/** Parses a user-given backend name (option or DEBLUR_BACKEND) with a clear error. */
export function parseBackendName(value: string, source: string): BackendName | 'auto' {
  const v = value.trim().toLowerCase();
  if (v === 'auto' || (BACKENDS as readonly string[]).includes(v)) return v as BackendName | 'auto';
  throw new UsageError(`${source}: unknown backend '${value}' (choose auto, ${BACKENDS.join(', ')})`);
}

/**
 * Picks and starts the best available backend, or the one asked for (option, then DEBLUR_BACKEND),
 * and prints which backend and device it got. Automatic choice order: tensorflow (tfjs-node-gpu,
 * then tfjs-node), webgpu with a hardware adapter, wasm, cpu. A software WebGPU adapter is used
 * only when webgpu is asked for by name.
 */
export async function selectBackend(opts: SelectOptions = {}): Promise<BackendReport> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const envChoice = process.env['DEBLUR_BACKEND'];
  const wanted = opts.backend ?? (envChoice ? parseBackendName(envChoice, 'DEBLUR_BACKEND') : 'auto');
  let report: BackendReport;
  if (wanted === 'auto') {
    const skipped: string[] = [];
    report = await firstThatStarts(skipped);
  } else {
    const got = await start(wanted, true);
    if (typeof got === 'string') throw new UsageError(`backend ${wanted} is not available here: ${got}`);
    report = { ...got, skipped: [] };
  }
  log(`deblur-lab: backend ${report.backend} on ${report.device}`);
  return report;
}

/**
 * Whether a backend can start here without being forced (a software WebGPU adapter does not count):
 * undefined when it can, else why not. Starting it leaves it the active backend.
 */
export async function backendUnavailable(name: BackendName): Promise<string | undefined> {
  const got = await start(name, false);
  return typeof got === 'string' ? got : undefined;
}

async function firstThatStarts(skipped: string[]): Promise<BackendReport> {
  for (const name of BACKENDS) {
    const got = await start(name, false);
    if (typeof got !== 'string') return { ...got, skipped };
    skipped.push(`${name}: ${got}`);
  }
  throw new Error('no tfjs backend could start, not even cpu');
}

/** Starts one backend; returns its report, or why it cannot run here. */
async function start(name: BackendName, explicit: boolean): Promise<Omit<BackendReport, 'skipped'> | string> {
  installLeanBackprop();
  installLeanGradients();
  switch (name) {
    case 'tensorflow':
      return startTensorflow();
    case 'webgpu':
      return startWebgpu(explicit);
    case 'wasm':
      return startWasm();
    case 'cpu':
      await startCpu();
      return { backend: 'cpu', device: 'plain JavaScript (slow: for tests and small inputs)' };
  }
}

async function startTensorflow(): Promise<Omit<BackendReport, 'skipped'> | string> {
  // Optional dependencies: absent unless the user's machine could install libtensorflow.
  for (const [pkg, device] of [
    ['@tensorflow/tfjs-node-gpu', 'libtensorflow (CUDA)'],
    ['@tensorflow/tfjs-node', 'libtensorflow (CPU)'],
  ] as const) {
    try {
      require(pkg);
    } catch {
      continue;
    }
    if (await tf.setBackend('tensorflow')) return { backend: 'tensorflow', device };
  }
  return 'neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed';
}

/** Starts the cpu backend without its "install tfjs-node" banner: the report above says what runs. */
export async function startCpu(): Promise<void> {
  installLeanBackprop();
  installLeanGradients();
  registerCpuKernelFixes();
  await tf.setBackend('cpu');
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
  if (cpu) cpu.firstUse = false;
}

/**
 * Loads wasm, with the training kernels it lacks registered first, and the native addon's kernels
 * (oneDNN convolutions, reductions, arithmetic, concat/split on every core) when it is built; DEBLUR_NATIVE=0
 * keeps everything on wasm.
 */
export async function startWasm(): Promise<Omit<BackendReport, 'skipped'> | string> {
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  const native = registerNativeKernels();
  installLeanBackprop();
  installLeanGradients();
  if (!(await tf.setBackend('wasm'))) return 'the wasm module failed to initialise';
  if (typeof native !== 'string') adviseHugeHeapPages(native);
  const threads = wasm.getThreadsCount();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const xnnpack = `XNNPACK, ${simd ? 'SIMD' : 'no SIMD'}, ${plural(threads, 'thread')}`;
  const kernels = typeof native === 'string' ? `no native kernels: ${native}` : `native kernels (oneDNN ${native.onednnVersion()}), ${nativeThreads(native.threads())}`;
  return { backend: 'wasm', device: `${xnnpack}; ${kernels}` };
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** The native kernels' threads: fixed by OMP_NUM_THREADS, or up to every core (src/kernels/native/core-share.ts). */
const nativeThreads = (n: number): string => (threadsAdapt() ? `up to ${plural(n, 'thread')}, one fewer per core other processes keep busy` : plural(n, 'thread'));

// ---- WebGPU (Dawn through the `webgpu` npm package) -------------------------------------------

interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

// The adapter found when webgpu first started: the backend module can only be set up once.
let webgpuDevice: string | undefined;

async function startWebgpu(explicit: boolean): Promise<Omit<BackendReport, 'skipped'> | string> {
  if (webgpuDevice !== undefined) {
    return (await tf.setBackend('webgpu')) ? { backend: 'webgpu', device: webgpuDevice } : 'the webgpu backend failed to start';
  }
  // Dawn prints warnings to stderr when Vulkan is missing; do not probe where it cannot work.
  const vulkan = findLibrary('libvulkan.so.1');
  if (!vulkan && !explicit) return 'no libvulkan.so.1, so no GPU adapter';
  const { create, globals } = require('webgpu') as { create: (flags: string[]) => GPU; globals: object };
  let gpu: GPU | undefined;
  let info: AdapterInfoLike | undefined;
  let software = false;
  if (vulkan) {
    const hw = create([]);
    const adapter = await hw.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter) {
      info = (adapter as unknown as { info: AdapterInfoLike }).info;
      software = isSoftware(info);
      gpu = hw;
    }
  }
  if (!explicit && gpu === undefined) return 'Vulkan is installed but offers no adapter';
  if (!explicit && software) return 'only a software adapter (ask for webgpu by name to use it)';
  if (gpu !== undefined) gpu = withAdapterLimits(gpu);
  if (gpu === undefined) {
    // Asked for by name, with no Vulkan adapter: Dawn's OpenGL ES backend on Mesa's llvmpipe.
    process.env['EGL_PLATFORM'] ??= 'surfaceless';
    const gl = create(['backend=opengles']);
    const adapter = await gl.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
    if (!adapter) return 'no WebGPU adapter, hardware or software';
    info = (adapter as unknown as { info: AdapterInfoLike }).info;
    software = true;
    gpu = withAdapterLimits(compatibilityOnly(gl));
  }
  Object.assign(globalThis, globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  require('@tensorflow/tfjs-backend-webgpu'); // registers 'webgpu' only if navigator.gpu exists at load
  const what = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s).join(' ');
  webgpuDevice = `${what || 'unknown adapter'}${software ? ' (software adapter: slow, a correctness path)' : ''}`;
  if (!(await tf.setBackend('webgpu'))) return 'the webgpu backend failed to start';
  guardWebGpu(tf.backend());
  return { backend: 'webgpu', device: webgpuDevice };
}

/**
 * The limits tfjs does not ask for, raised to what the adapter offers: WebGPU's defaults (e.g. 8
 * storage buffers per shader stage) are far below what GPUs have, and a program over a limit is
 * an invalid pipeline.
 */
const RAISED_LIMITS = ['maxStorageBuffersPerShaderStage', 'maxUniformBuffersPerShaderStage', 'maxBindingsPerBindGroup', 'maxComputeWorkgroupSizeY', 'maxComputeWorkgroupSizeZ'] as const;

function withAdapterLimits(gpu: GPU): GPU {
  return new Proxy(gpu, {
    get(target, prop) {
      if (prop === 'requestAdapter') {
        return async (o?: GPURequestAdapterOptions) => {
          const adapter = await target.requestAdapter(o);
          if (!adapter) return adapter;
          const requestDevice = adapter.requestDevice.bind(adapter);
          const limits = adapter.limits as unknown as Record<string, number>;
          Object.defineProperty(adapter, 'requestDevice', {
            value: (d: GPUDeviceDescriptor = {}) => {
              const raised = Object.fromEntries(RAISED_LIMITS.filter((k) => typeof limits[k] === 'number').map((k) => [k, limits[k]!]));
              return requestDevice({ ...d, requiredLimits: { ...raised, ...(d.requiredLimits ?? {}) } });
            },
          });
          return adapter;
        };
      }
      const v: unknown = Reflect.get(target, prop);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function isSoftware(info: AdapterInfoLike): boolean {
  const text = `${info.vendor} ${info.device} ${info.description}`.toLowerCase();
  return info.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader|software/.test(text);
}

/** tfjs asks for a default adapter; the GL ES backend only offers a 'compatibility' one. */
function compatibilityOnly(gpu: GPU): GPU {
  return new Proxy(gpu, {
    get(target, prop) {
      if (prop === 'requestAdapter') {
        return (o?: GPURequestAdapterOptions) => target.requestAdapter({ ...o, featureLevel: 'compatibility' } as GPURequestAdapterOptions);
      }
      const v: unknown = Reflect.get(target, prop);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function findLibrary(name: string): string | undefined {
  const dirs = [
    ...(process.env['LD_LIBRARY_PATH'] ?? '').split(':').filter((d) => d),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
  ];
  return dirs.map((d) => path.join(d, name)).find((p) => fs.existsSync(p));
}

// ---- wasm heap ---------------------------------------------------------------------------------

/** The wasm module's heap ceiling (emscripten's getHeapMax: 4 GiB less one 64 KiB page). It never shrinks. */
export const WASM_HEAP_MAX = 4294901760;

/** The wasm backend's current heap size in bytes, or undefined when another backend is active. */
export function wasmHeapBytes(): number | undefined {
  return wasmHeap()?.byteLength;
}

/** The wasm backend's heap, or undefined when another backend is active. */
function wasmHeap(): ArrayBuffer | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return backend.wasm?.HEAPU8?.buffer as ArrayBuffer | undefined;
}

/**
 * Asks Linux for 2 MiB pages over the wasm heap and the address range V8 has reserved for it to
 * grow into (up to the ceiling), so later growth is covered too. On this kind of VM a first touch
 * of a 4 KiB page costs 10–40 µs and the native kernels sweep a heap of up to 2.4 GiB per step: a
 * `full` 4 × 128² step's median went from 1.40–1.44 s to 1.33–1.37 s (docs/PERFORMANCE.md). Only an
 * addon built with adviseHugePages does this; Linux ignores the advice where transparent huge pages
 * are off. The heap's first pages (below the first 2 MiB boundary) keep 4 KiB pages.
 */
export function adviseHugeHeapPages(native: { adviseHugePages?: (buffer: ArrayBuffer, bytes: number) => number }): number | undefined {
  const heap = wasmHeap();
  if (heap === undefined || typeof native.adviseHugePages !== 'function') return undefined;
  return native.adviseHugePages(heap, WASM_HEAP_MAX);
}

/**
 * Throws when the wasm heap has grown to its ceiling: allocations then fail, silently in XNNPACK
 * (the toolchain notes saw wrong results come back) or with a crash, so no number can be trusted.
 */
export function assertWasmHeapRoom(what: string): void {
  const bytes = wasmHeapBytes();
  if (bytes !== undefined && bytes >= WASM_HEAP_MAX - 64 * 1024 * 1024) {
    throw new UsageError(`${what}: the wasm heap reached its 4 GiB ceiling, so results can no longer be trusted; use a smaller batch, crop or image (or tiles)`);
  }
}
