import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelModule } from '../kernel-module';
import { withChain, type KernelChain } from '../support/chain';

/**
 * Einsum of two operands as one batched matrix product, for backends without an Einsum kernel
 * (wasm 4.22 has none; MAXIM's graph has 732 Einsum nodes: `abcg,gf->abcf`, `abgd,gf->abdf`,
 * `gb,cgef->bcef`). Each index is one of: batch (both operands and the output), contracted (both,
 * not the output), free (one operand and the output), or summed away (one operand only). Summed
 * indices are reduced first; then A is laid out [batch, freeA, contracted], B [batch, contracted,
 * freeB], multiplied, and the product permuted to the output's order. Transposes that would not
 * move anything are skipped, so `abcg,gf->abcf` is one plain matrix product. Without batch indices
 * (all three of MAXIM's) the product runs as a 1×1 convolution, [1, rows, 1, inner] by
 * [1, 1, inner, cols]: with the native addon that is oneDNN's on all cores, where wasm's
 * BatchMatMul runs on one (MAXIM's Einsums at 128²: 2.1 s as matrix products).
 */
function wasmEinsum(): KernelConfig {
  const backendName = 'wasm';
  const kernelFunc: KernelFunc = ({ inputs, attrs, backend }) => {
    const operands = (Array.isArray(inputs) ? inputs : Object.values(inputs)) as TensorInfo[];
    const { equation } = attrs as { equation: string };
    const plan = planEinsum(equation, operands.map((t) => t.shape));
    return withChain(backend as KernelBackend, backendName, (c) => run(c, plan, operands[0]!, operands[1]!));
  };
  return { kernelName: Einsum.name, backendName, kernelFunc };
}

export interface EinsumPlan {
  sumA: number[];
  sumB: number[];
  /** After summing: permutations and the matrix shapes [batch, rows, inner] and [batch, inner, cols]. */
  permA: number[];
  permB: number[];
  shapeA: [number, number, number];
  shapeB: [number, number, number];
  /** The product's dims [batch..., freeA..., freeB...] and the permutation to the output's order. */
  productShape: number[];
  permOut: number[];
}

const product = (xs: number[]): number => xs.reduce((a, b) => a * b, 1);
const isIdentity = (p: number[]): boolean => p.every((v, i) => v === i);

/** How to compute a two-operand equation; throws for what this kernel does not do. */
export function planEinsum(equation: string, shapes: number[][]): EinsumPlan {
  const m = /^([a-zA-Z]*),([a-zA-Z]*)->([a-zA-Z]*)$/.exec(equation.replace(/\s/g, ''));
  if (!m || shapes.length !== 2) throw new Error(`Einsum: only two-operand equations with an explicit output are supported (got '${equation}' with ${shapes.length} operands)`);
  const [, a0, b0, out] = m as unknown as [string, string, string, string];
  for (const [s, shape] of [[a0, shapes[0]!], [b0, shapes[1]!]] as const) {
    if (new Set(s).size !== s.length) throw new Error(`Einsum '${equation}': an index repeated within one operand (a diagonal) is not supported`);
    if (s.length !== shape.length) throw new Error(`Einsum '${equation}': '${s}' names ${s.length} axes of a rank-${shape.length} operand`);
  }
  if (new Set(out).size !== out.length || [...out].some((k) => !a0.includes(k) && !b0.includes(k))) throw new Error(`Einsum '${equation}': bad output indices`);
  const size = new Map<string, number>();
  [...a0].forEach((k, i) => size.set(k, shapes[0]![i]!));
  [...b0].forEach((k, i) => {
    if (size.has(k) && size.get(k) !== shapes[1]![i]) throw new Error(`Einsum '${equation}': index ${k} is ${size.get(k)} in one operand and ${shapes[1]![i]} in the other`);
    size.set(k, shapes[1]![i]!);
  });
  // Indices in one operand only and not in the output are summed over first.
  const summed = (own: string, other: string) => [...own].filter((k) => !other.includes(k) && !out.includes(k));
  const sumA = summed(a0, b0).map((k) => a0.indexOf(k));
  const sumB = summed(b0, a0).map((k) => b0.indexOf(k));
  const a = [...a0].filter((k) => !summed(a0, b0).includes(k)).join('');
  const b = [...b0].filter((k) => !summed(b0, a0).includes(k)).join('');
  const batch = [...out].filter((k) => a.includes(k) && b.includes(k));
  const contracted = [...a].filter((k) => b.includes(k) && !out.includes(k));
  const freeA = [...out].filter((k) => a.includes(k) && !b.includes(k));
  const freeB = [...out].filter((k) => b.includes(k) && !a.includes(k));
  const dims = (ks: string[]) => ks.map((k) => size.get(k)!);
  const orderA = [...batch, ...freeA, ...contracted];
  const orderB = [...batch, ...contracted, ...freeB];
  const productOrder = [...batch, ...freeA, ...freeB];
  return {
    sumA,
    sumB,
    permA: orderA.map((k) => a.indexOf(k)),
    permB: orderB.map((k) => b.indexOf(k)),
    shapeA: [product(dims(batch)), product(dims(freeA)), product(dims(contracted))],
    shapeB: [product(dims(batch)), product(dims(contracted)), product(dims(freeB))],
    productShape: dims(productOrder),
    permOut: [...out].map((k) => productOrder.indexOf(k)),
  };
}

function run(c: KernelChain, p: EinsumPlan, a: TensorInfo, b: TensorInfo): TensorInfo {
  const prepare = (x: TensorInfo, sum: number[], perm: number[], shape: number[]): TensorInfo => {
    let t = sum.length ? c.run('Sum', { x }, { axis: sum, keepDims: false }) : x;
    if (!isIdentity(perm)) t = c.run('Transpose', { x: t }, { perm });
    return c.reshape(t, shape);
  };
  const left = prepare(a, p.sumA, p.permA, p.shapeA);
  const right = prepare(b, p.sumB, p.permB, p.shapeB);
  const [batch, rows, inner] = p.shapeA;
  const cols = p.shapeB[2];
  const raw =
    batch === 1
      ? c.run('Conv2D', { x: c.reshape(left, [1, rows, 1, inner]), filter: c.reshape(right, [1, 1, inner, cols]) }, { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1 })
      : c.run('BatchMatMul', { a: left, b: right }, { transposeA: false, transposeB: false });
  const prod = c.reshape(raw, p.productShape);
  return isIdentity(p.permOut) ? prod : c.run('Transpose', { x: prod }, { perm: p.permOut });
}

export const Einsum: KernelModule = { name: 'Einsum', wasm: wasmEinsum };
