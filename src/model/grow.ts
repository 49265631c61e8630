import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors';
import type { Rng } from '../random';
import type { NetConfig } from './config';

/**
 * Grows a trained network into a wider and deeper one that computes the same function (Net2Net,
 * Chen et al. 2016), so a long run of the paper's `full` network can start where a `lite` run got
 * to instead of from noise.
 *
 * Wider (C → k·C): every feature channel becomes copies of a source channel, in order (new channel
 * j copies source channel ⌊j·n/n'⌋), so each of MSRM's four channel groups stays a group and every
 * concatenation, residual sum and attention product lines up as in the source. A layer reading
 * copies gets the source weight split among them, in random shares that sum to 1: the sum is the
 * source's (same function), and the copies, receiving different gradients, grow apart in training.
 *
 * Deeper (N → N'): source block i keeps its weights at position (i − 1)·N'/N + 1 of its group; the
 * new blocks in between start as the identity (MSRM's last 1×1 convolution is zero, so the block
 * adds nothing to its residual) with the rest of their weights freshly initialised.
 */
export interface GrowOptions {
  /** Randomness of the shares (Net2Net's noise): each share is (1 + u)/Σ(1 + u), u uniform in ±`spread` (default 0.3). */
  spread?: number;
}

/** Which source channel each target channel copies (length: target width; values < source width). */
interface ChannelMap {
  map: Int32Array;
  from: number;
}

const WEIGHTED = new Set(['Conv2D', 'Dense', 'Conv2DTranspose', 'DepthwiseConv2D']);
/** Layers whose output channels are their input's, one to one. */
const PASS_THROUGH = new Set(['AveragePooling2D', 'UpSampling2D', 'ZeroPadding2D', 'GlobalAveragePooling2D', 'Activation', 'ReLU']);
/** Layers that rearrange channels (DFFM's logits): no map is carried through them; products take their other operand's. */
const OPAQUE = new Set(['Reshape', 'Permute', 'Softmax']);

function stretch(from: number, to: number): ChannelMap {
  const map = new Int32Array(to);
  for (let j = 0; j < to; j++) map[j] = Math.floor((j * from) / to);
  return { map, from };
}

function sameMap(a: ChannelMap, b: ChannelMap): boolean {
  return a.from === b.from && a.map.length === b.map.length && a.map.every((v, i) => v === b.map[i]);
}

/** The target block name → source block name (or undefined for a new block), for names like `em2_b5_…`. */
function sourceName(name: string, from: number, to: number): string | undefined | null {
  const m = /^(em[123]|dm[123])_b(\d+)(_.*)?$/.exec(name);
  if (!m) return name;
  const i = Number(m[2]);
  const step = to / from;
  if ((i - 1) % step !== 0) return null; // a new block
  return `${m[1]}_b${(i - 1) / step + 1}${m[3] ?? ''}`;
}

/** Random shares for the copies of each source channel: `count[c]` values summing to 1, per weight. */
function shares(m: ChannelMap, rng: Rng, spread: number): Float32Array {
  const out = new Float32Array(m.map.length);
  const sum = new Float64Array(m.from);
  for (let j = 0; j < out.length; j++) {
    out[j] = 1 + rng.uniform(-spread, spread);
    sum[m.map[j]!] += out[j]!;
  }
  for (let j = 0; j < out.length; j++) out[j]! /= sum[m.map[j]!]!;
  return out;
}

/**
 * Sets `target`'s weights from `source` (see the file's comment); `target` must be freshly built
 * with `targetCfg`, `source` have `sourceCfg`. Throws a UsageError when the two cannot be matched.
 */
export function growInto(source: tf.LayersModel, sourceCfg: NetConfig, target: tf.LayersModel, targetCfg: NetConfig, rng: Rng, o: GrowOptions = {}): void {
  const spread = o.spread ?? 0.3;
  if (sourceCfg.block !== targetCfg.block || sourceCfg.skip !== targetCfg.skip) {
    throw new UsageError(`growing keeps the design: ${sourceCfg.block} + ${sourceCfg.skip} cannot become ${targetCfg.block} + ${targetCfg.skip}`);
  }
  if (targetCfg.block !== 'msrm') throw new UsageError(`growing is written for MSRM blocks (got ${targetCfg.block})`);
  if (targetCfg.channels < sourceCfg.channels) throw new UsageError(`growing cannot narrow: C = ${sourceCfg.channels} → ${targetCfg.channels}`);
  if (targetCfg.blocks < sourceCfg.blocks || sourceCfg.blocks === 0 || targetCfg.blocks % sourceCfg.blocks !== 0) {
    throw new UsageError(`growing needs a depth that is a multiple of the source's: N = ${sourceCfg.blocks} → ${targetCfg.blocks}`);
  }
  const rest = (c: NetConfig): string => JSON.stringify({ ...c, channels: 0, blocks: 0 });
  if (rest(sourceCfg) !== rest(targetCfg)) throw new UsageError('growing changes only C and N: the two configs differ in other settings');

  const byName = new Map(source.layers.map((l) => [l.name, l]));
  const maps = new Map<tf.SymbolicTensor, ChannelMap | undefined>();
  const inputMap = (layer: tf.layers.Layer): ChannelMap | undefined => {
    const inputs = layer.inboundNodes[0]!.inputTensors;
    return maps.get(inputs[0]!);
  };

  for (const layer of target.layers) {
    const cls = layer.getClassName();
    const output = layer.inboundNodes[0]?.outputTensors[0];
    const inputs = layer.inboundNodes[0]?.inputTensors ?? [];
    let out: ChannelMap | undefined;
    if (cls === 'InputLayer') {
      const c = layer.outputShape[layer.outputShape.length - 1] as number;
      out = stretch(c, c);
    } else if (PASS_THROUGH.has(cls)) {
      out = maps.get(inputs[0]!);
    } else if (OPAQUE.has(cls)) {
      out = undefined;
    } else if (cls === 'Concatenate') {
      const parts = inputs.map((t) => maps.get(t));
      if (parts.every((p) => p)) {
        const map = new Int32Array(parts.reduce((n, p) => n + p!.map.length, 0));
        let at = 0;
        let offset = 0;
        for (const p of parts) {
          for (let j = 0; j < p!.map.length; j++) map[at + j] = p!.map[j]! + offset;
          at += p!.map.length;
          offset += p!.from;
        }
        out = { map, from: offset };
      }
    } else if (cls === 'Add' || cls === 'Multiply') {
      const known = inputs.map((t) => maps.get(t)).filter((m): m is ChannelMap => m !== undefined);
      out = known[0];
      if (known.some((m) => !sameMap(m, known[0]!))) throw new Error(`growInto: the operands of ${layer.name} are laid out differently`);
    } else if (WEIGHTED.has(cls)) {
      out = growLayer(layer, cls, byName, sourceCfg, targetCfg, inputMap(layer), rng, spread);
    } else {
      throw new Error(`growInto: no rule for layer ${layer.name} (${cls})`);
    }
    if (output) maps.set(output, out);
  }
}

/** Copies (or splits) one weighted layer's source weights; returns its output's channel map (undefined for a new block's layers). */
function growLayer(
  layer: tf.layers.Layer,
  cls: string,
  byName: Map<string, tf.layers.Layer>,
  sourceCfg: NetConfig,
  targetCfg: NetConfig,
  inMap: ChannelMap | undefined,
  rng: Rng,
  spread: number,
): ChannelMap | undefined {
  const name = sourceName(layer.name, sourceCfg.blocks, targetCfg.blocks);
  if (name === null) {
    // A new block: its last 1×1 conv starts at zero, so the block is the identity.
    if (/_fuse$/.test(layer.name)) layer.setWeights(layer.getWeights().map((w) => tf.zerosLike(w)));
    return undefined;
  }
  const src = byName.get(name!);
  if (!src) throw new UsageError(`growing: the source network has no layer ${name} (for ${layer.name})`);
  if (!inMap) throw new Error(`growInto: the input of ${layer.name} has no channel map`);
  const [kernel, bias] = src.getWeights().map((w) => w.dataSync() as Float32Array);
  const [tk, tb] = layer.getWeights();
  const shape = tk!.shape;
  const inN = cls === 'Conv2DTranspose' ? shape[3]! : shape[shape.length - 2]!;
  const outN = cls === 'DepthwiseConv2D' ? inN : cls === 'Conv2DTranspose' ? shape[2]! : shape[shape.length - 1]!;
  const sShape = src.getWeights()[0]!.shape;
  const sIn = cls === 'Conv2DTranspose' ? sShape[3]! : sShape[sShape.length - 2]!;
  const sOut = cls === 'DepthwiseConv2D' ? sIn : cls === 'Conv2DTranspose' ? sShape[2]! : sShape[sShape.length - 1]!;
  if (inMap.map.length !== inN || inMap.from !== sIn) throw new Error(`growInto: ${layer.name} reads ${inN} channels from ${inMap.from}, its source ${sIn}`);

  let outMap: ChannelMap;
  if (cls === 'DepthwiseConv2D') outMap = inMap;
  else {
    // DFFM's logits are laid out [channel][branch] before a reshape: copy channels, keep branches.
    const next = layer.outboundNodes[0]?.outboundLayer;
    const reshaped = next?.getClassName() === 'Reshape' ? ((next as unknown as { targetShape: number[] }).targetShape ?? []) : [];
    if (cls === 'Dense' && reshaped.length === 2) {
      const branches = reshaped[1]!;
      const c = stretch(sOut / branches, outN / branches);
      const map = new Int32Array(outN);
      for (let j = 0; j < outN; j++) map[j] = c.map[Math.floor(j / branches)]! * branches + (j % branches);
      outMap = { map, from: sOut };
    } else outMap = stretch(sOut, outN);
  }

  const split = cls === 'DepthwiseConv2D' ? undefined : shares(inMap, rng, spread);
  const spatial = cls === 'Dense' ? 1 : shape[0]! * shape[1]!;
  const w = new Float32Array(tk!.size);
  for (let s = 0; s < spatial; s++) {
    for (let i = 0; i < inN; i++) {
      const si = inMap.map[i]!;
      if (cls === 'DepthwiseConv2D') {
        w[s * inN + i] = kernel![s * sIn + si]!;
        continue;
      }
      for (let o = 0; o < outN; o++) {
        const so = outMap.map[o]!;
        // Conv2DTranspose's kernel is [h, w, out, in]; the others' [h, w, in, out] (Dense: [in, out]).
        const t = cls === 'Conv2DTranspose' ? s * outN * inN + o * inN + i : s * inN * outN + i * outN + o;
        const f = cls === 'Conv2DTranspose' ? s * sOut * sIn + so * sIn + si : s * sIn * sOut + si * sOut + so;
        w[t] = kernel![f]! * split![i]!;
      }
    }
  }
  const grown = [tf.tensor(w, shape)];
  if (tb) grown.push(tf.tensor(Float32Array.from({ length: outN }, (_, o) => bias![outMap.map[o]!]!), tb.shape));
  layer.setWeights(grown);
  tf.dispose(grown);
  return outMap;
}
