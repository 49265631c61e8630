import * as fs from 'node:fs';
import * as path from 'node:path';
import { psnr } from '../../metrics';
import { Rng } from '../../random';
import type { Split } from '../gopro';
import { readRaster, writePng } from '../image';
import { dihedral, type Raster } from '../raster';
import type { Window } from './shake';
import { extentForFrame, synthesizePair, type BlurModel } from './synthesize';

/** A photo to make pairs from; its pairs go into one GoPro "sequence" named after it. */
export interface SynthSource {
  sequence: string;
  file: string;
  split: Split;
  /** How many pairs (each a new crop and blur draw). */
  count: number;
}

export interface SynthOptions {
  out: string;
  seed: number;
  /**
   * Blur extent drawn uniformly from [min, max] pixels at GoPro scale (a frame whose long side is
   * `longSide`); a smaller photo gets a proportionally smaller extent, as if from a smaller sensor.
   */
  extent: readonly [number, number];
  model: BlurModel;
  /** Shrink photos so the long side is at most this (GoPro: 1280). */
  longSide: number;
  /** Crop each pair to this size; whole frames when absent. */
  crop?: { width: number; height: number };
  /**
   * Turn or mirror the photo before each pair, one of its 8 orientations drawn per pair (from a
   * stream of its own, so the crops and blur draws are those of the same seed without it).
   */
  orientations?: boolean;
  onPair?: (done: number, total: number, record: SynthRecord) => void;
}

/** What was made, pair by pair: written to `synth.json` beside the splits. */
export interface SynthRecord {
  split: Split;
  sequence: string;
  file: string;
  source: string;
  /** Window in the downscaled frame (turned first, when `orientation` is set). */
  window: Window;
  frame: { width: number; height: number };
  /** Blur extent in pixels of this frame (scaled down for photos smaller than GoPro scale). */
  extent: number;
  poses: number;
  psnr: { blur: number; blurGamma: number };
  /** The photo's orientation (`dihedral`'s k; 0 = as shot), when orientations were drawn. */
  orientation?: number;
}

export const SYNTH_MANIFEST = 'synth.json';

/**
 * Writes a GoPro-layout dataset, `out/{train,test}/<sequence>/{sharp,blur,blur_gamma}/NNNNNN.png`,
 * and `out/synth.json` describing every pair. Deterministic: pair k of a source depends only on
 * (seed, sequence, k), not on the other sources or the order they are made in.
 */
export async function writeSynthDataset(sources: readonly SynthSource[], o: SynthOptions): Promise<SynthRecord[]> {
  const total = sources.reduce((n, s) => n + s.count, 0);
  const records: SynthRecord[] = [];
  for (const src of sources) {
    const photo = (await readRaster(src.file, { longSide: o.longSide })).raster;
    const turned = new Map<number, Raster>([[0, photo]]);
    const dir = path.join(o.out, src.split, src.sequence);
    for (const kind of ['sharp', 'blur', 'blur_gamma']) fs.mkdirSync(path.join(dir, kind), { recursive: true });
    for (let k = 0; k < src.count; k++) {
      const orientation = o.orientations ? Rng.seeded(o.seed, src.sequence, k, 'orientation').int(0, 7) : 0;
      if (!turned.has(orientation)) turned.set(orientation, dihedral(photo, orientation));
      const frame = turned.get(orientation)!;
      const rng = Rng.seeded(o.seed, src.sequence, k);
      const extent = extentForFrame(rng.uniform(o.extent[0], o.extent[1]), frame, o.longSide);
      const pair = synthesizePair(frame, rng, { extent, model: o.model, ...(o.crop ? { crop: o.crop } : {}) });
      const file = `${String(k).padStart(6, '0')}.png`;
      await writePng(path.join(dir, 'sharp', file), pair.sharp);
      await writePng(path.join(dir, 'blur', file), pair.blur);
      await writePng(path.join(dir, 'blur_gamma', file), pair.blurGamma);
      const record: SynthRecord = {
        split: src.split,
        sequence: src.sequence,
        file,
        source: path.basename(src.file),
        window: pair.window,
        frame: { width: frame.width, height: frame.height },
        extent: Number(pair.extent.toFixed(3)),
        poses: pair.poses,
        psnr: { blur: Number(psnr(pair.blur, pair.sharp).toFixed(4)), blurGamma: Number(psnr(pair.blurGamma, pair.sharp).toFixed(4)) },
        ...(o.orientations ? { orientation } : {}),
      };
      records.push(record);
      o.onPair?.(records.length, total, record);
    }
  }
  const manifest = { seed: o.seed, model: o.model, extent: o.extent, longSide: o.longSide, crop: o.crop ?? null, ...(o.orientations ? { orientations: true } : {}), pairs: records };
  const tmp = path.join(o.out, `${SYNTH_MANIFEST}.tmp`);
  fs.writeFileSync(tmp, `${JSON.stringify(manifest, null, 1)}\n`);
  fs.renameSync(tmp, path.join(o.out, SYNTH_MANIFEST));
  return records;
}
