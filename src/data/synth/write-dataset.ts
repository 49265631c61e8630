import * as fs from 'node:fs';
import * as path from 'node:path';
import { psnr } from '../../metrics';
import { Rng } from '../../random';
import type { Split } from '../gopro';
import { readRaster, writePng } from '../image';
import { dihedral, type Raster } from '../raster';
import { describeCameraEffects, jpegRoundTrip, type CameraEffects } from './camera-effects';
import type { SharpFrame } from './camera-path';
import type { DepthOfField } from './depth-of-field';
import { drawGenerator, fixedDraw, singleGenerator, type GeneratorDraw, type WeightedGenerator } from './generators';
import type { Window } from './shake';
import { compressPair, extentForFrame, synthesizePair, type BlurModel, type SynthesizedPair } from './synthesize';

/** A photo to make pairs from; its pairs go into one GoPro "sequence" named after it. */
export interface SynthSource {
  sequence: string;
  file: string;
  split: Split;
  /** How many pairs (each a new crop and blur draw). */
  count: number;
  /** Shrink this photo to this long side instead of the options' (a smaller copy of a photo is its own source). */
  longSide?: number;
}

export interface SynthOptions {
  out: string;
  seed: number;
  /**
   * How each pair is blurred: one generator, or a weighted mixture drawn per pair. Extents are
   * drawn from the generator's range, in pixels at GoPro scale (a frame whose long side is
   * `longSide`): a smaller photo gets a proportionally smaller extent, as if from a smaller
   * sensor, unless `extentInFramePixels`.
   */
  generators: readonly WeightedGenerator[];
  /**
   * Extents in pixels of whatever frame the pair is cut from (a training set with downscaled
   * copies of its photos wants the same blurs on every scale); default false.
   */
  extentInFramePixels?: boolean;
  /** Keep flat windows (sky, walls, bokeh) in proportion instead of redrawing them (default false). */
  keepFlat?: boolean;
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
  /**
   * Where a set draws per pair (a mixture, camera effects, a convention drawn): the generator that
   * made the pair and what it drew. A set of one generator with nothing to draw leaves these out
   * (its manifest's `model` and `extent` say it all, as before mixtures existed).
   */
  generator?: string;
  model?: BlurModel;
  sharpFrame?: SharpFrame;
  /** What `blur/` holds: the sRGB average (GoPro's blur/) or the linear-light one (as blur_gamma/). */
  average?: 'srgb' | 'linear';
  /** Camera effects (highlights, noise, JPEG), when drawn, and in words. */
  camera?: CameraEffects & { about: string };
  /** The scene's depth of field, when part of it was out of focus (the sharp image keeps it). */
  depthOfField?: DepthOfField;
  /** The camera's noise was grain of the scene, which the sharp image keeps too. */
  grain?: true;
  /** The input came out equal to the sharp image and was stored as a JPEG of this quality instead (SHARP_JPEG). */
  sharpJpeg?: number;
}

/** JPEG qualities for an input that would otherwise equal its sharp image (see writeSynthDataset). */
export const SHARP_JPEG: readonly [number, number] = [90, 95];

export const SYNTH_MANIFEST = 'synth.json';

/** One pair as a dataset stores it, with what was drawn to make it. */
export interface GeneratedPair {
  /** The sharp image, both averages (blur: sRGB, blurGamma: linear light) and how they were made. */
  pair: SynthesizedPair;
  /** What `blur/` holds: the average the draw chose, compressed as the draw says. */
  input: Raster;
  draw: GeneratorDraw;
  /** True for a lone generator with nothing to draw (its pairs are as they were before mixtures). */
  lone: boolean;
  /** The input would have equalled the sharp image, and was stored as a JPEG of this quality instead. */
  sharpJpeg?: number;
}

/**
 * Pair `key` (e.g. [photo, k]) of a frame: the generator drawn from the mixture, its extent, crop
 * and path from the pair's own stream, camera effects and JPEG as drawn, and an input that would
 * equal its sharp image stored as a camera stores a sharp photo. Depends only on (seed, key).
 */
export async function generatePair(
  frame: Raster,
  o: { generators: readonly WeightedGenerator[]; seed: number; key: ReadonlyArray<string | number>; longSide: number; crop?: { width: number; height: number }; keepFlat?: boolean; extentInFramePixels?: boolean },
): Promise<GeneratedPair> {
  // A lone generator with nothing to draw leaves this stream alone: such sets are as they were before mixtures.
  const fixed = o.generators.length === 1 ? fixedDraw(o.generators[0]!.generator) : undefined;
  const draw = fixed ?? drawGenerator(o.generators, Rng.seeded(o.seed, ...o.key, 'generator'));
  const g = draw.generator;
  const rng = Rng.seeded(o.seed, ...o.key);
  const drawn = rng.uniform(g.extent[0], g.extent[1]);
  const extent = o.extentInFramePixels ? drawn : extentForFrame(drawn, frame, o.longSide);
  const made = synthesizePair(frame, rng, {
    extent,
    model: g.model,
    ...(o.crop ? { crop: o.crop } : {}),
    ...(draw.sharpFrame ? { sharpFrame: draw.sharpFrame } : {}),
    ...(o.keepFlat ? { keepFlat: true } : {}),
    ...(draw.camera ? { camera: draw.camera } : {}),
    ...(draw.depthOfField ? { depthOfField: draw.depthOfField } : {}),
    ...(draw.grain ? { grain: true } : {}),
  });
  const compressed = await compressPair(made);
  const chosen = draw.average === 'linear' ? compressed.blurGamma : compressed.blur;
  // An input equal to its sharp image (no blur, or one too small to move an 8-bit value) has an
  // infinite PSNR, which no mean survives: it is stored as a camera stores a sharp photo, a JPEG.
  if (psnr(chosen, compressed.sharp) !== Infinity) return { pair: compressed, input: chosen, draw, lone: fixed !== undefined };
  const quality = Rng.seeded(o.seed, ...o.key, 'sharp-jpeg').int(SHARP_JPEG[0], SHARP_JPEG[1]);
  const input = await jpegRoundTrip(chosen, quality);
  const blurGamma = psnr(compressed.blurGamma, compressed.sharp) === Infinity ? await jpegRoundTrip(compressed.blurGamma, quality) : compressed.blurGamma;
  return { pair: { ...compressed, blurGamma }, input, draw, lone: fixed !== undefined, sharpJpeg: quality };
}

/**
 * Writes a GoPro-layout dataset, `out/{train,test}/<sequence>/{sharp,blur,blur_gamma}/NNNNNN.png`,
 * and `out/synth.json` describing every pair. Deterministic: pair k of a source depends only on
 * (seed, sequence, k), not on the other sources or the order they are made in.
 */
export async function writeSynthDataset(sources: readonly SynthSource[], o: SynthOptions): Promise<SynthRecord[]> {
  const total = sources.reduce((n, s) => n + s.count, 0);
  const records: SynthRecord[] = [];
  for (const src of sources) {
    const longSide = src.longSide ?? o.longSide;
    const photo = (await readRaster(src.file, { longSide })).raster;
    const turned = new Map<number, Raster>([[0, photo]]);
    const dir = path.join(o.out, src.split, src.sequence);
    for (const kind of ['sharp', 'blur', 'blur_gamma']) fs.mkdirSync(path.join(dir, kind), { recursive: true });
    for (let k = 0; k < src.count; k++) {
      const orientation = o.orientations ? Rng.seeded(o.seed, src.sequence, k, 'orientation').int(0, 7) : 0;
      if (!turned.has(orientation)) turned.set(orientation, dihedral(photo, orientation));
      const frame = turned.get(orientation)!;
      const { pair, input, draw, lone, sharpJpeg } = await generatePair(frame, { generators: o.generators, seed: o.seed, key: [src.sequence, k], longSide: o.longSide, ...(o.crop ? { crop: o.crop } : {}), ...(o.keepFlat ? { keepFlat: true } : {}), ...(o.extentInFramePixels ? { extentInFramePixels: true } : {}) });
      const g = draw.generator;
      const file = `${String(k).padStart(6, '0')}.png`;
      await writePng(path.join(dir, 'sharp', file), pair.sharp);
      await writePng(path.join(dir, 'blur', file), input);
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
        psnr: { blur: Number(psnr(input, pair.sharp).toFixed(4)), blurGamma: Number(psnr(pair.blurGamma, pair.sharp).toFixed(4)) },
        ...(o.orientations ? { orientation } : {}),
        ...(lone ? {} : { generator: g.name, model: g.model, ...(draw.sharpFrame ? { sharpFrame: draw.sharpFrame } : {}), average: draw.average }),
        ...(draw.camera ? { camera: { ...draw.camera, about: describeCameraEffects(draw.camera) } } : {}),
        ...(draw.depthOfField ? { depthOfField: draw.depthOfField } : {}),
        ...(pair.grain ? { grain: true as const } : {}),
        ...(sharpJpeg !== undefined ? { sharpJpeg } : {}),
      };
      records.push(record);
      o.onPair?.(records.length, total, record);
    }
  }
  const lone = o.generators.length === 1 && fixedDraw(o.generators[0]!.generator) ? o.generators[0]!.generator : undefined;
  const manifest = {
    seed: o.seed,
    ...(lone ? { model: lone.model, extent: lone.extent } : { generators: o.generators.map((m) => ({ weight: m.weight, ...m.generator })) }),
    longSide: o.longSide,
    crop: o.crop ?? null,
    ...(o.orientations ? { orientations: true } : {}),
    ...(o.keepFlat ? { keepFlat: true } : {}),
    pairs: records,
  };
  const tmp = path.join(o.out, `${SYNTH_MANIFEST}.tmp`);
  fs.writeFileSync(tmp, `${JSON.stringify(manifest, null, 1)}\n`);
  fs.renameSync(tmp, path.join(o.out, SYNTH_MANIFEST));
  return records;
}

export { singleGenerator };
