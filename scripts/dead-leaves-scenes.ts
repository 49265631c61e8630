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
import { cache } from './photo-sources';

/** Scenes drawn, each 1280 × 960: enough that no scene is cropped over and over. */
export const DEAD_LEAVES_SCENES = 24;
const SIZE = { width: 1280, height: 960 } as const;
/** Pixels each photo gives the palette (a thumbnail of this side). */
const PALETTE_SIDE = 48;
/** Bumped when the scenes' drawing changes, so old scenes are not taken for new ones. */
const VERSION = 1;

export interface Scene {
  file: string;
  title: string;
  width: number;
  height: number;
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
  const dir = path.join(under, `dead-leaves-v${VERSION}-seed${seed}-${size.width}x${size.height}-${colours}`);
  fs.mkdirSync(dir, { recursive: true });
  const scenes: Scene[] = [];
  for (let k = 0; k < count; k++) {
    const name = `dead-leaves-${String(k).padStart(2, '0')}`;
    const file = path.join(dir, `${name}.png`);
    if (!fs.existsSync(file)) {
      const rgb = deadLeaves({ ...size, seed: `${seed}:${k}`, palette });
      const partial = `${file}.partial.png`;
      await sharp(Buffer.from(rgb), { raw: { ...size, channels: 3 } }).png().toFile(partial);
      fs.renameSync(partial, file); // an interrupted write never passes for a scene
    }
    scenes.push({ file, title: `Dead leaves ${k + 1}`, ...size });
  }
  return scenes;
}
