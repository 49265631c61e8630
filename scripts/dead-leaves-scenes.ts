/**
 * The procedural scenes `data:train --dead-leaves` cuts pairs from: dead-leaves images
 * (src/data/synth/dead-leaves.ts) coloured from the training photos' own pixels, written once as
 * PNG under build/sample-sources/ and found there the next time. Deterministic from the seed and
 * the photos' colours (the folder is named by both).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { deadLeaves } from '../src/data/synth/dead-leaves';
import { Rng } from '../src/random';
import { cache } from './photo-sources';

/** Scenes drawn, each 1280 × 960: enough that no scene is cropped over and over. */
export const DEAD_LEAVES_SCENES = 24;
const SIZE = { width: 1280, height: 960 } as const;
/** Pixels each photo gives the palette (a thumbnail of this side). */
const PALETTE_SIDE = 48;
/** Bumped when the scenes' drawing changes, so old scenes are not taken for new ones. */
export const DEAD_LEAVES_VERSION = 2;
/**
 * Each scene is softened by a Gaussian of σ drawn from this range (px), as a lens softens a photo.
 * Drawn crisp, a scene holds about twice the photos' share of spectral energy above a quarter of
 * the sampling rate (a median of 0.10 against 0.05 on 256² crops at long side 1280); σ 0.5 matches
 * the photos' median, the range their spread. A network trained on crisper targets than photos
 * have learns to sharpen sharp photos.
 */
export const LENS_SIGMA: readonly [number, number] = [0.35, 0.7];

export interface Scene {
  file: string;
  title: string;
  width: number;
  height: number;
}

/** The σ of scene k's softening (px). */
export function lensSigma(seed: number, k: number): number {
  return Rng.seeded('dead-leaves-lens', seed, k).uniform(...LENS_SIGMA);
}

/** Every pixel of a small thumbnail of each photo: the colours the scenes draw from. */
export async function paletteOf(files: readonly string[]): Promise<Uint8Array> {
  const parts = await Promise.all(
    files.map((f) => sharp(f).removeAlpha().toColourspace('srgb').resize(PALETTE_SIDE, PALETTE_SIDE, { fit: 'fill' }).raw().toBuffer()),
  );
  return new Uint8Array(Buffer.concat(parts));
}

/** Draws the scenes that are not yet on disk; returns all of them. */
export async function deadLeavesScenes(seed: number, photoFiles: readonly string[], count = DEAD_LEAVES_SCENES, size: { width: number; height: number } = SIZE, under = cache): Promise<Scene[]> {
  const palette = await paletteOf(photoFiles);
  // Other photos give other colours: the folder is named by the palette, so scenes are never stale.
  const colours = createHash('sha256').update(palette).digest('hex').slice(0, 12);
  const dir = path.join(under, `dead-leaves-v${DEAD_LEAVES_VERSION}-seed${seed}-${size.width}x${size.height}-${colours}`);
  fs.mkdirSync(dir, { recursive: true });
  const scenes: Scene[] = [];
  for (let k = 0; k < count; k++) {
    const name = `dead-leaves-${String(k).padStart(2, '0')}`;
    const file = path.join(dir, `${name}.png`);
    if (!fs.existsSync(file)) {
      const rgb = deadLeaves({ ...size, seed: `${seed}:${k}`, palette });
      const sigma = lensSigma(seed, k);
      const partial = `${file}.partial.png`;
      // libvips truncates its Gaussian where it falls below minAmplitude: at the default (0.2) a σ under ~0.6 blurs nothing.
      await sharp(Buffer.from(rgb), { raw: { ...size, channels: 3 } }).blur({ sigma, minAmplitude: 0.001, precision: 'float' }).png().toFile(partial);
      fs.renameSync(partial, file); // an interrupted write never passes for a scene
    }
    scenes.push({ file, title: `Dead leaves ${k + 1}`, ...size });
  }
  return scenes;
}
