import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TensorInfo } from '@tensorflow/tfjs';
import { ThreadAdapter } from './core-share';
import type { WasmHeapBackend } from '../support/heap';

/**
 * The optional native addon (native/*.cc, built by scripts/build-native.sh with g++ against
 * Debian's libdnnl-dev): kernels for tfjs-backend-wasm that read and write the wasm heap in place
 * and run on every core, where wasm runs on one. Without it (not built, or DEBLUR_NATIVE=0) the
 * wasm kernels run; the modules of all-kernels.ts with a native kernel say what it replaces.
 */
export interface NativeAddon {
  /**
   * out = activation(conv(x, filter) + bias), the activation a oneDNN post-op (alpha: the leaky
   * ReLU's slope); returns the oneDNN implementation's name. Addons built before `gelu` existed
   * take a boolean, ReLU or not, in place of the activation's name.
   */
  convForward(x: Float32Array, filter: Float32Array, bias: Float32Array | null, out: Float32Array, g: ConvGeometry, activation: ConvActivation, alpha: number): string;
  convBackwardData(dy: Float32Array, filter: Float32Array, dx: Float32Array, g: ConvGeometry): string;
  convBackwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array, g: ConvGeometry): string;
  /** Every gradient of [relu](conv(x, filter) + bias): the ReLU's mask when y (its output) is given, then dx (unless null), dw and db. */
  convBackward(x: Float32Array, filter: Float32Array, y: Float32Array | null, dy: Float32Array, dx: Float32Array | null, dw: Float32Array, db: Float32Array, g: ConvGeometry): string;
  /** out[a, b] = scale · Σ_r x[a, r, b], x viewed as [A, R, B]. */
  sumAxes(x: Float32Array, A: number, R: number, B: number, out: Float32Array, scale: number): void;
  /** out[p, q, s] = a ∘ b (op 0 add, 1 sub, 2 mul, 3 div); an operand that is not full is [P, 1, S]. */
  binary(op: number, a: Float32Array, aFull: boolean, b: Float32Array, bFull: boolean, P: number, Q: number, S: number, out: Float32Array): void;
  /** out[m, n] = a[m] ∘ b[n] when aAlongRows, else a[n] ∘ b[m] (op 0 add, 1 sub, 2 mul, 3 div): each operand broadcast along the other's axes. */
  outer(op: number, a: Float32Array, b: Float32Array, M: number, N: number, aAlongRows: boolean, out: Float32Array): void;
  /** Row r of out is row r of every part in turn (rowBytes: each part's row length in bytes). */
  concatRows(parts: Uint8Array[], rowBytes: number[], rows: number, out: Uint8Array): void;
  splitRows(x: Uint8Array, rows: number, rowBytes: number[], outs: Uint8Array[]): void;
  /** out[i] = op(a[i]) · op(b[i]) for [batch, m, k] · [batch, k, n] (op: transposed when asked); a batch of 1 serves every i. */
  batchMatMul(a: Float32Array, b: Float32Array, out: Float32Array, batchA: number, batchB: number, m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): void;
  /** out[p, q, s] = x[p, s]: a broadcast over q. */
  broadcast(x: Float32Array, P: number, Q: number, S: number, out: Float32Array): void;
  /** out[p, s] = Σ_q a[p, q, s] · b[p, q, s] (summed in double). */
  mulSum(a: Float32Array, b: Float32Array, P: number, Q: number, S: number, out: Float32Array): void;
  /** out = Σ inputs, elementwise, in one pass. */
  addN(inputs: Float32Array[], out: Float32Array): void;
  /** out = tanh(x), elementwise (oneDNN's eltwise primitive). */
  tanh(x: Float32Array, out: Float32Array): void;
  /** out = GELU(x), its tanh form 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))), elementwise (oneDNN's eltwise primitive). */
  gelu(x: Float32Array, out: Float32Array): void;
  /** Each row of `channels` values of x normalised as flax's LayerNorm: (x − mean) · rsqrt(max(0, E[x²] − mean²) + epsilon) · gamma + beta. */
  layerNorm(x: Float32Array, channels: number, gamma: Float32Array, beta: Float32Array, epsilon: number, out: Float32Array): void;
  /** out (dense, dims) = the view of x from element `offset` with strides (elements, ≥ 0) per axis; 1 to 12 axes, 4-byte elements (a oneDNN reorder). */
  copyView(x: Float32Array, offset: number, dims: number[], strides: number[], out: Float32Array): void;
  /** out[n, i, j, :] = scale · Σ of x's kh × kw block at (i·kh, j·kw); x is [n, H, W, c], out [n, h, w, c]. */
  blockSum(x: Float32Array, n: number, h: number, w: number, c: number, kh: number, kw: number, H: number, W: number, scale: number, out: Float32Array): void;
  /** out[n, y, z, :] = scale · x[n, y / kh, z / kw, :] inside the blocks, 0 past them; x is [n, h, w, c], out [n, H, W, c]. */
  blockSpread(x: Float32Array, n: number, h: number, w: number, c: number, kh: number, kw: number, H: number, W: number, scale: number, out: Float32Array): void;
  /** One Adam step (and average update) over all weights into the out arrays; true when every gradient is finite. See native/adam_step.cc. */
  adamStep(
    p: Float32Array[], g: Float32Array[], m: Float32Array[], v: Float32Array[], ema: Float32Array[],
    pOut: Float32Array[], mOut: Float32Array[], vOut: Float32Array[], emaOut: Float32Array[],
    lr: number, beta1: number, beta2: number, epsilon: number, correction1: number, correction2: number, emaRate: number,
  ): boolean;
  /** The threads the kernels use now (OpenMP's omp_get_max_threads). */
  threads(): number;
  /** Sets how many threads the kernels use from their next call on (at least 1). */
  setThreads(n: number): void;
  /** madvise(MADV_HUGEPAGE) over [buffer, buffer + bytes), 2 MiB-aligned inwards; 0 or the errno. */
  adviseHugePages(buffer: ArrayBuffer, bytes: number): number;
  onednnVersion(): string;
}

/** The activations a native forward convolution applies (GELU: its tanh form). */
export type ConvActivation = 'linear' | 'relu' | 'leakyrelu' | 'gelu';

/** A convolution as oneDNN describes it: NHWC sizes, strides, dilations (1 = none) and the four pads. */
export interface ConvGeometry {
  n: number;
  ih: number;
  iw: number;
  ic: number;
  oh: number;
  ow: number;
  oc: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
  pb: number;
  pr: number;
  depthwise: boolean;
}

export const ADDON_PATH = path.join(__dirname, '..', '..', '..', 'build', 'native', 'deblur_native.node');

let loaded: NativeAddon | string | undefined;
let adapter: ThreadAdapter | undefined;

/**
 * The kernels use one thread fewer per core other processes keep busy (core-share.ts), unless
 * OMP_NUM_THREADS fixes the count or the load cannot be read (no /proc/stat).
 */
function shareCores(addon: NativeAddon): ThreadAdapter | undefined {
  // An addon built before setThreads existed (npm run setup rebuilds it) keeps its thread count.
  if (process.env['OMP_NUM_THREADS'] !== undefined || addon.threads() < 2 || typeof addon.setThreads !== 'function') return undefined;
  try {
    return new ThreadAdapter(addon, addon.threads());
  } catch {
    return undefined;
  }
}

/** Whether the kernels' thread count follows the machine's load (false: fixed, or no addon). */
export function threadsAdapt(): boolean {
  return adapter !== undefined;
}

/** The addon, or why it is not used (DEBLUR_NATIVE=0, not built, fails to load). Loaded once. */
export function loadNative(): NativeAddon | string {
  if (process.env['DEBLUR_NATIVE'] === '0') return 'turned off by DEBLUR_NATIVE=0';
  if (loaded !== undefined) return loaded;
  if (!fs.existsSync(ADDON_PATH)) {
    loaded = `${path.relative(process.cwd(), ADDON_PATH) || ADDON_PATH} is not built (npm run setup builds it where g++ and libdnnl-dev can be installed)`;
  } else {
    try {
      // oneDNN's OpenMP threads spin a while before sleeping when they wait for work. With other busy
      // processes on the machine (a long run in the background, a notebook beside it) spinning threads
      // take each other's cores: a profiled lite 2 × 64² step measured 1.44 s against 0.88 s passive
      // beside one busy process, 3.96 s against 0.86 s beside two; on a quiet machine 0.42 s either
      // way (docs/PERFORMANCE.md, "Sharing the machine"). libgomp reads this when
      // it loads, so it is set while the addon loads; a user's own setting wins. It is taken out
      // of the environment again so that child processes (the benchmark's PyTorch peer, which
      // uses libgomp too) run with the user's own environment.
      // A spin count of the user's (GOMP_SPINCOUNT, which libgomp prefers to the policy) counts as a setting too.
      const own = process.env['OMP_WAIT_POLICY'] ?? (process.env['GOMP_SPINCOUNT'] !== undefined ? '' : undefined);
      if (own === undefined) process.env['OMP_WAIT_POLICY'] = 'PASSIVE';
      try {
        loaded = require(ADDON_PATH) as NativeAddon;
      } finally {
        if (own === undefined) delete process.env['OMP_WAIT_POLICY'];
      }
      adapter = shareCores(loaded);
    } catch (e) {
      loaded = `${ADDON_PATH} does not load: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  return loaded;
}

export type { WasmHeapBackend };

/**
 * Allocates the outputs, then views every tensor on the heap (allocating can grow the heap and
 * detach older views), and runs `call`; frees the outputs if it throws.
 */
export function onHeap<V>(
  backend: WasmHeapBackend,
  inputs: TensorInfo[],
  outputs: Array<{ shape: number[]; dtype: TensorInfo['dtype'] }>,
  view: (t: TensorInfo) => V,
  call: (ins: V[], outs: V[]) => void,
): TensorInfo[] {
  adapter?.tick();
  const made = outputs.map((o) => backend.makeOutput(o.shape, o.dtype));
  try {
    call(inputs.map(view), made.map(view));
  } catch (e) {
    made.forEach((t) => backend.disposeData(t.dataId));
    throw e;
  }
  return made;
}

/** One new float32 tensor of `shape`, written by `call` from the inputs (all as float views of the heap). */
export function onHeapFloat(backend: unknown, inputs: TensorInfo[], shape: number[], call: (ins: Float32Array[], out: Float32Array) => void): TensorInfo {
  const b = backend as WasmHeapBackend;
  return onHeap(b, inputs, [{ shape, dtype: 'float32' }], heapFloats(b), (ins, [out]) => call(ins, out!))[0]!;
}

/** The tensor's bytes on the heap, whatever its dtype. */
export const heapBytes = (backend: WasmHeapBackend) => (t: TensorInfo): Uint8Array => {
  const v = backend.typedArrayFromHeap(t);
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
};

export const heapFloats = (backend: WasmHeapBackend) => (t: TensorInfo): Float32Array => backend.typedArrayFromHeap(t) as Float32Array;
