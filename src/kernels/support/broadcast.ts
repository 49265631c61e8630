import { backend_util, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import { heapFloats, onHeap, type NativeAddon, type WasmHeapBackend } from '../native/addon';
import { replacing } from './replacing';

/**
 * Broadcasting binary ops (Add, Sub, Multiply and RealDiv: ops/) for tfjs-backend-wasm on the native addon. wasm's own run on one
 * thread, and when one operand is broadcast they compute indices per element: about five times
 * slower per value than without. Training broadcasts constantly: every bias (the unfused
 * convolutions of a training step) and the channel attention's scaling of each feature map. When
 * one operand's broadcast axes sit together (size-1 axes between them allowed), the output is
 * [P, Q, S] and that operand [P, 1, S]; when each operand is broadcast along the other's axes
 * (an outer product), [M, N]; other shapes and dtypes go to the wasm kernel.
 */

export interface BroadcastLayout {
  P: number;
  Q: number;
  S: number;
  aFull: boolean;
  bFull: boolean;
}

/** How a ∘ b (shapes broadcasting to `out`) maps onto [P, Q, S], or undefined. */
export function broadcastLayout(out: readonly number[], a: readonly number[], b: readonly number[]): BroadcastLayout | undefined {
  const padded = (s: readonly number[]) => [...new Array<number>(out.length - s.length).fill(1), ...s];
  const spread = (s: number[]) => out.map((_, k) => k).filter((k) => s[k] === 1 && out[k]! > 1);
  const [sa, sb] = [spread(padded(a)), spread(padded(b))];
  if (sa.length > 0 && sb.length > 0) return undefined;
  const axes = sa.length > 0 ? sa : sb;
  if (axes.length === 0) return { P: 1, Q: 1, S: util.sizeFromShape(out as number[]), aFull: true, bFull: true };
  const first = axes[0]!;
  const last = axes[axes.length - 1]!;
  for (let k = first; k <= last; k++) if (out[k]! > 1 && !axes.includes(k)) return undefined;
  return {
    P: util.sizeFromShape(out.slice(0, first) as number[]),
    Q: util.sizeFromShape(out.slice(first, last + 1) as number[]),
    S: util.sizeFromShape(out.slice(last + 1) as number[]),
    aFull: sa.length === 0,
    bFull: sb.length === 0,
  };
}

/** An output [M, N] whose rows one operand spans and whose columns the other does: out[m, n] = a[m] ∘ b[n], or a[n] ∘ b[m]. */
export interface OuterLayout {
  M: number;
  N: number;
  aAlongRows: boolean;
}

/**
 * How a ∘ b maps onto an outer product, when each operand is broadcast along every axis the other
 * spans and one spans the leading axes, the other the trailing ones ([1, H, W, 1] ∘ [1, 1, 1, C]).
 */
export function outerLayout(out: readonly number[], a: readonly number[], b: readonly number[]): OuterLayout | undefined {
  const padded = (s: readonly number[]) => [...new Array<number>(out.length - s.length).fill(1), ...s];
  const [pa, pb] = [padded(a), padded(b)];
  // Each axis of the output (size-1 axes aside) belongs to exactly one operand.
  const owner = out.map((d, k) => (d === 1 ? '' : pa[k] === d && pb[k] === 1 ? 'a' : pb[k] === d && pa[k] === 1 ? 'b' : '?')).filter((o) => o !== '');
  if (owner.includes('?') || !owner.includes('a') || !owner.includes('b')) return undefined;
  const split = owner.indexOf(owner[0] === 'a' ? 'b' : 'a');
  if (owner.slice(split).some((o) => o === owner[0])) return undefined;
  const size = (s: number[]) => util.sizeFromShape(s);
  return owner[0] === 'a' ? { M: size(pa), N: size(pb), aAlongRows: true } : { M: size(pb), N: size(pa), aAlongRows: false };
}

/** A broadcasting binary op on the addon (`op`: its code in native/binary.cc), falling back to wasm's own `name`. */
export function binaryKernel(addon: NativeAddon, name: string, op: number): KernelConfig {
  return replacing(name, 'wasm', (own) => (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return own(args);
    const shape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (util.sizeFromShape(shape) === 0) return own(args);
    const backend = args.backend as unknown as WasmHeapBackend;
    const layout = broadcastLayout(shape, a.shape, b.shape);
    if (layout === undefined) {
      const outer = typeof addon.outer === 'function' ? outerLayout(shape, a.shape, b.shape) : undefined;
      if (outer === undefined) return own(args);
      return onHeap(backend, [a, b], [{ shape, dtype: 'float32' }], heapFloats(backend), ([av, bv], [out]) => {
        addon.outer(op, av!, bv!, outer.M, outer.N, outer.aAlongRows, out!);
      })[0]!;
    }
    const { P, Q, S, aFull, bFull } = layout;
    return onHeap(backend, [a, b], [{ shape, dtype: 'float32' }], heapFloats(backend), ([av, bv], [out]) => {
      addon.binary(op, av!, aFull, bv!, bFull, P, Q, S, out!);
    })[0]!;
  });
}

/** Tile's output shape, and its [P, 1, S] → [P, Q, S] layout when every repeated axis has size 1 (a broadcast) and they sit together. */
export function tileAsBroadcast(xShape: readonly number[], reps: readonly number[]): { shape: number[]; layout: BroadcastLayout | undefined } {
  const shape = xShape.map((d, i) => d * reps[i]!);
  const broadcastOnly = reps.length === xShape.length && reps.every((r, i) => r === 1 || xShape[i] === 1);
  return { shape, layout: broadcastOnly ? broadcastLayout(shape, xShape, shape) : undefined };
}
