import * as tf from '@tensorflow/tfjs';
import { wasmHeapBytes } from '../backend';
import { UsageError } from '../errors';
import { deblurImage } from '../infer/deblur';
import { loadNetwork, PEERS } from '../infer/weights';
import type { TileProgress } from '../infer/tile';
import { timeRuns, type Timing } from './timing';

export type PeerName = (typeof PEERS)[number];

/** One peer's case: inference on one image of this size, tiled as `deblur` tiles it. */
export interface PeerCase {
  peer: PeerName;
  height: number;
  width: number;
  steps: number;
  warmup: number;
  warmupSeconds?: number;
}

/** What a peer's case measured. Times in ms. */
export interface PeerCaseResult {
  peer: PeerName;
  backend: string;
  height: number;
  width: number;
  /** Tiles per image (1: whole). */
  tiles: number;
  inferMs: number;
  infer: Timing;
  peakRssBytes: number;
  peakWasmHeapBytes: number | null;
}

/** `name` as a peer's name, or a UsageError that lists the peers. */
export function peerNamed(name: string): PeerName {
  if (!(PEERS as readonly string[]).includes(name)) throw new UsageError(`unknown peer '${name}' (choose ${PEERS.join(', ')})`);
  return name as PeerName;
}

/**
 * Times a peer restoring one seeded random image, whole or in tiles as `deblur` does (the time a
 * user waits per image, loading aside): the median of `steps` runs after the warm-up.
 */
export async function runPeerCase(c: PeerCase, onRun?: (run: number, ms: number) => void, onTile?: TileProgress): Promise<PeerCaseResult> {
  peerNamed(c.peer);
  if (![c.height, c.width].every((v) => Number.isInteger(v) && v >= 64)) throw new UsageError(`a peer's input must be at least 64 × 64 (got ${c.height}×${c.width})`);
  const { model } = await loadNetwork(c.peer);
  const image = tf.randomUniform([1, c.height, c.width, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  let tiles = 1;
  try {
    const infer = await timeRuns(
      async () => {
        const r = await deblurImage(model, image, 'auto', onTile);
        tiles = r.tiles;
        await r.s1.data();
        tf.dispose([r.s1, r.s2, r.s3]);
      },
      c.steps,
      c.warmup,
      onRun,
      c.warmupSeconds,
    );
    return { peer: c.peer, backend: tf.getBackend(), height: c.height, width: c.width, tiles, inferMs: infer.median, infer, peakRssBytes: process.resourceUsage().maxRSS * 1024, peakWasmHeapBytes: wasmHeapBytes() ?? null };
  } finally {
    image.dispose();
    model.dispose();
  }
}
