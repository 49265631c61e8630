import * as fs from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { isImageFile, requireFolder } from '../data/dataset';
import { readImageHeader, shrunkSize } from '../data/image';
import { spread } from '../data/synth/statistics';
import { BLUR_MODELS, DEFAULT_EXTENT, type BlurModel } from '../data/synth/synthesize';
import { singleGenerator } from '../data/synth/generators';
import { writeSynthDataset, type SynthSource } from '../data/synth/write-dataset';
import { UsageError } from '../errors';
import { Rng } from '../random';
import { nonNegativeInt, positiveInt } from './options';
import { progress } from './progress';

interface SynthCliOptions {
  photos: string;
  out: string;
  seed: number;
  extent: [number, number];
  crop?: { width: number; height: number };
  perPhoto: number;
  longSide: number;
  testFraction: number;
  model: string;
}

export function extentRange(value: string): [number, number] {
  const m = /^\s*(\d+(?:\.\d+)?)\s*,\s*(\d+(?:\.\d+)?)\s*$/.exec(value);
  if (!m) throw new InvalidArgumentError('must look like MIN,MAX in pixels, e.g. 8,32.');
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  if (hi < lo) throw new InvalidArgumentError('MIN must not exceed MAX.');
  return [lo, hi];
}

export function cropSize(value: string): { width: number; height: number } {
  const m = /^\s*(\d+)\s*(?:[x×]\s*(\d+))?\s*$/.exec(value);
  if (!m) throw new InvalidArgumentError('must be a size like 256 or 256x384 (width x height).');
  const width = Number(m[1]);
  const height = Number(m[2] ?? m[1]);
  if (width < 16 || height < 16) throw new InvalidArgumentError('must be at least 16 pixels.');
  return { width, height };
}

function fraction(value: string): number {
  const f = Number(value);
  if (!(f >= 0 && f < 1)) throw new InvalidArgumentError('must be a number in [0, 1).');
  return f;
}

/** Photo file name → a sequence folder name: letters, digits, '-' and '_' only. */
export function sequenceName(file: string): string {
  return path.basename(file, path.extname(file)).replace(/[^A-Za-z0-9_-]+/g, '_');
}

async function synth(o: SynthCliOptions): Promise<void> {
  requireFolder(o.photos, '--photos');
  if (!(BLUR_MODELS as readonly string[]).includes(o.model)) throw new UsageError(`unknown blur model "${o.model}" (use ${BLUR_MODELS.join(' or ')})`);
  if (fs.existsSync(o.out) && fs.readdirSync(o.out).length > 0) {
    throw new UsageError(`${o.out} exists and is not empty: choose a new --out folder (nothing was written)`);
  }
  const files = fs.readdirSync(o.photos).filter(isImageFile).sort().map((f) => path.join(o.photos, f));
  if (files.length === 0) throw new UsageError(`${o.photos}: no PNG or JPEG photos`);
  const names = new Map<string, string>();
  for (const f of files) {
    const seq = sequenceName(f);
    if (names.has(seq)) throw new UsageError(`${f} and ${names.get(seq)} would share the sequence name "${seq}": rename one`);
    names.set(seq, f);
    const h = await readImageHeader(f); // a corrupt photo stops here, before anything is written
    const frame = shrunkSize(h.width, h.height, o.longSide);
    if (o.crop && (o.crop.width > frame.width || o.crop.height > frame.height)) {
      throw new UsageError(`${f}: ${frame.width}×${frame.height} at --long-side ${o.longSide} is smaller than the ${o.crop.width}×${o.crop.height} crop`);
    }
  }
  // Split by photo, so no test pair shares a photo with a training pair.
  const shuffled = Rng.seeded(o.seed, 'split').shuffle(files);
  const nTest = o.testFraction > 0 && files.length > 1 ? Math.max(1, Math.round(files.length * o.testFraction)) : 0;
  const sources: SynthSource[] = shuffled.map((file, i) => ({ sequence: sequenceName(file), file, split: i < nTest ? 'test' : 'train', count: o.perPhoto }));
  sources.sort((a, b) => a.sequence.localeCompare(b.sequence));

  const bar = progress('synth', sources.length * o.perPhoto);
  const records = await writeSynthDataset(sources, {
    out: o.out,
    seed: o.seed,
    generators: singleGenerator(o.model as BlurModel, o.extent),
    longSide: o.longSide,
    ...(o.crop ? { crop: o.crop } : {}),
    onPair: (done, _total, r) => bar.update(done, `${r.sequence}/${r.file}`),
  });
  bar.stop();
  for (const split of ['train', 'test'] as const) {
    const rs = records.filter((r) => r.split === split);
    if (rs.length === 0) continue;
    const b = spread(rs.map((r) => r.psnr.blur));
    const g = spread(rs.map((r) => r.psnr.blurGamma));
    console.log(`${split}: ${rs.length} pairs from ${new Set(rs.map((r) => r.sequence)).size} photos; PSNR(blur, sharp) ${b.mean.toFixed(2)} ± ${b.std.toFixed(2)} dB, blur_gamma ${g.mean.toFixed(2)} ± ${g.std.toFixed(2)} dB`);
  }
  console.log(`wrote ${o.out}/{train,test}/<photo>/{sharp,blur,blur_gamma}/ and ${path.join(o.out, 'synth.json')}`);
}

export function registerSynth(program: Command): void {
  program
    .command('synth')
    .description('make a GoPro-layout dataset by blurring sharp photos with synthetic camera shake')
    .requiredOption('--photos <dir>', 'folder of sharp PNG/JPEG photos')
    .requiredOption('--out <dir>', 'new (or empty) folder to write the dataset to')
    .option('--seed <n>', 'seed of every random choice', nonNegativeInt, 0)
    .option('--extent <min,max>', 'blur extent range in pixels at the --long-side scale', extentRange, [...DEFAULT_EXTENT] as [number, number])
    .option('--crop <size>', 'crop each pair to 256 or WxH (default: whole frames)', cropSize)
    .option('--per-photo <n>', 'pairs per photo, each a new crop and blur', positiveInt, 1)
    .option('--long-side <px>', 'shrink photos to this long side first (GoPro frames: 1280)', positiveInt, 1280)
    .option('--test-fraction <f>', 'share of photos held out as the test split', fraction, 0.25)
    .option('--model <name>', `${BLUR_MODELS.join(', ')}: the lab's camera shake (non-uniform), GoPro-style hand-held motion (sharp = middle frame), uniform Boracchi–Foi trajectories, a defocus disk (extent = diameter), or no blur`, 'shake')
    .action(synth);
}
