/**
 * Builds a larger GoPro-layout training set (`npm run data:train`), not committed: the licensed
 * photos of scripts/photo-sources.ts, shrunk to GoPro scale, each turned to a random one of its 8
 * orientations, cropped at random and blurred by the synthesiser, many times over. The held-out
 * split (`test/`) comes from the photos that data/sample tests on, which no training set ever sees.
 *
 * Deterministic from the seed (for the same package versions and sharp/libvips). Building again
 * with the same settings finds the finished set and stops; a build that was interrupted starts
 * over, because the set is written to `OUT.partial/` and renamed only when complete.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import sharp from 'sharp';
import { readImageHeader, shrunkSize } from '../src/data/image';
import { spread } from '../src/data/synth/statistics';
import { DEFAULT_EXTENT } from '../src/data/synth/synthesize';
import { SYNTH_MANIFEST, writeSynthDataset, type SynthOptions, type SynthRecord, type SynthSource } from '../src/data/synth/write-dataset';
import { fork } from 'node:child_process';
import * as os from 'node:os';
import { progress } from '../src/cli/progress';
import { nonNegativeInt, positiveInt } from '../src/cli/options';
import { UsageError } from '../src/errors';
import { fetchPackages, PACKAGES, PHOTOS, root, type Photo } from './photo-sources';

const LONG_SIDE = 1280;
const SETTINGS_FILE = 'build-settings.json';

interface Settings {
  seed: number;
  trainPairs: number;
  heldOutPairs: number;
  crop: number;
  extent: readonly [number, number];
  longSide: number;
  orientations: true;
}

/**
 * Splits `total` pairs over the photos in proportion to their area at GoPro scale (so a small
 * photo is not cropped over and over), at least `min` each; largest remainders get the rounding.
 */
export function pairsByArea(areas: readonly number[], total: number, min: number): number[] {
  const sum = areas.reduce((a, b) => a + b, 0);
  const free = Math.max(0, total - min * areas.length);
  const exact = areas.map((a) => (free * a) / sum);
  const counts = exact.map((e) => min + Math.floor(e));
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0, left = total - counts.reduce((a, b) => a + b, 0); k < left; k++) counts[order[k % order.length]![1]]! += 1;
  return counts;
}

/** Photos dealt out to `jobs` processes, biggest first to the least loaded. */
function shareOut(sources: readonly SynthSource[], jobs: number): SynthSource[][] {
  const shares: SynthSource[][] = Array.from({ length: jobs }, () => []);
  const load = new Array<number>(jobs).fill(0);
  for (const s of [...sources].sort((a, b) => b.count - a.count)) {
    const i = load.indexOf(Math.min(...load));
    shares[i]!.push(s);
    load[i]! += s.count;
  }
  return shares;
}

interface WorkerTask {
  sources: SynthSource[];
  options: Omit<SynthOptions, 'onPair'>;
}

/** Runs one share in a child process (this script with --worker), counting pairs as they land. */
function runWorker(task: WorkerTask, onPair: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--worker'], { execArgv: ['-r', 'ts-node/register'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m: unknown) => {
      if (m === 'pair') onPair();
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`a synthesis process exited with status ${code}`))));
    child.send(task);
  });
}

async function worker(): Promise<void> {
  const task = await new Promise<WorkerTask>((resolve) => process.once('message', (m) => resolve(m as WorkerTask)));
  await writeSynthDataset(task.sources, { ...task.options, onPair: () => process.send!('pair') });
  process.disconnect();
}

function attribution(records: SynthRecord[]): string {
  const rows = PHOTOS.map((p: Photo) => {
    const n = records.filter((r) => r.source === p.file).length;
    return `| ${p.split === 'test' ? 'test (held out)' : 'train'} | ${p.title} | ${p.author} | ${p.licence} (${p.licenceSource}) | Debian package \`${PACKAGES[p.pkg].name}\` ${PACKAGES[p.pkg].version}: \`${p.file}\` | ${n} |`;
  });
  return [
    '# Sources and licences',
    '',
    'Every pair here is a crop of one of these photos, shrunk to long side 1280 (Lanczos-3, only if',
    'larger), turned to one of its 8 orientations, and, for `blur/` and `blur_gamma/`, blurred with',
    "deblur-lab's synthetic camera shake; `synth.json` lists each pair's photo, orientation, window",
    'and blur. Blurred crops are adaptations of the photos and carry their licences; the crops of',
    'CC-BY-SA-4.0 photos are under CC-BY-SA-4.0. This set is built on your machine and is not',
    'redistributed by deblur-lab.',
    '',
    '| split | photo | author | licence (stated in) | source | pairs |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

function readme(s: Settings, records: SynthRecord[], seconds: number): string {
  const line = (split: 'train' | 'test'): string => {
    const rs = records.filter((r) => r.split === split);
    const b = spread(rs.map((r) => r.psnr.blur));
    return `| ${split} | ${rs.length} | ${new Set(rs.map((r) => r.source)).size} | ${b.mean.toFixed(2)} ± ${b.std.toFixed(2)} |`;
  };
  return [
    '# A synthetic GoPro-layout deblurring set (built by `npm run data:train`)',
    '',
    `Layout as GoPro: \`{train,test}/<photo>/{blur,blur_gamma,sharp}/NNNNNN.png\`, ${s.crop}×${s.crop} crops.`,
    '`test/` is the held-out split: its photos never appear in `train/` (nor in data/sample\'s train split).',
    `Seed ${s.seed}; blur extent U(${s.extent[0]}, ${s.extent[1]}) px at GoPro scale (long side ${s.longSide}); each pair's`,
    'photo turned to one of 8 orientations; pairs per photo in proportion to its area. Sources and',
    'licences: ATTRIBUTION.md.',
    '',
    '| split | pairs | photos | PSNR(blur, sharp) dB, mean ± std |',
    '|---|---|---|---|',
    line('train'),
    line('test'),
    '',
    `Built in ${Math.round(seconds)} s with sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}), Node ${process.versions.node}.`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const cmd = new Command('data:train')
    .description('build a larger synthetic GoPro-layout training set from the licensed Debian photos (not committed)')
    .option('--out <dir>', 'where to write it', path.join('build', 'data', 'gopro-synth'))
    .option('--seed <n>', 'seed of every crop, orientation and blur draw', nonNegativeInt, 1)
    .option('--train-pairs <n>', 'training pairs, over the 11 training photos', positiveInt, 2400)
    .option('--held-out-pairs <n>', 'held-out (test/) pairs, over the 9 held-out photos', positiveInt, 240)
    .option('--crop <px>', 'square crop size', positiveInt, 256)
    .option('--jobs <n>', 'processes to synthesise with (the result is the same for any number)', positiveInt, Math.max(1, os.availableParallelism()))
    .showHelpAfterError()
    .parse(process.argv);
  const o = cmd.opts<{ out: string; seed: number; trainPairs: number; heldOutPairs: number; crop: number; jobs: number }>();
  const settings: Settings = { seed: o.seed, trainPairs: o.trainPairs, heldOutPairs: o.heldOutPairs, crop: o.crop, extent: DEFAULT_EXTENT, longSide: LONG_SIDE, orientations: true };
  const out = path.resolve(o.out);
  const settingsFile = path.join(out, SETTINGS_FILE);
  if (fs.existsSync(out)) {
    const had = fs.existsSync(settingsFile) ? fs.readFileSync(settingsFile, 'utf8') : undefined;
    if (had === `${JSON.stringify(settings, null, 1)}\n`) {
      console.log(`${path.relative(root, out)}: already built with these settings (${SETTINGS_FILE}); nothing to do`);
      return;
    }
    throw new UsageError(`${o.out} exists and was not built with these settings: choose another --out, or delete it first (nothing was changed)`);
  }

  const dirs = fetchPackages();
  const frames = await Promise.all(
    PHOTOS.map(async (p) => {
      const file = path.join(dirs[p.pkg], p.file);
      const h = await readImageHeader(file);
      const f = shrunkSize(h.width, h.height, LONG_SIDE);
      if (f.width < o.crop || f.height < o.crop) throw new UsageError(`--crop ${o.crop} is larger than ${p.file} at GoPro scale (${f.width}×${f.height})`);
      return { photo: p, file, area: f.width * f.height };
    }),
  );
  const sources: SynthSource[] = [];
  for (const [split, total] of [['train', o.trainPairs], ['test', o.heldOutPairs]] as const) {
    const mine = frames.filter((f) => f.photo.split === split);
    const counts = pairsByArea(mine.map((f) => f.area), total, 1);
    mine.forEach((f, i) => sources.push({ sequence: path.basename(f.photo.file, path.extname(f.photo.file)), file: f.file, split, count: counts[i]! }));
  }

  const partial = `${out}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  const total = o.trainPairs + o.heldOutPairs;
  const jobs = Math.min(o.jobs, sources.length);
  console.log(`building ${total} pairs (${o.trainPairs} train, ${o.heldOutPairs} held out) of ${o.crop}² into ${path.relative(root, out)}/ with ${jobs} process${jobs > 1 ? 'es' : ''}`);
  const bar = progress('data:train', total);
  const began = performance.now();
  const synthOptions = { seed: o.seed, extent: DEFAULT_EXTENT, model: 'shake' as const, longSide: LONG_SIDE, crop: { width: o.crop, height: o.crop }, orientations: true };
  // Pair k of a photo depends only on (seed, photo, k), so the photos can be shared out among
  // processes and the result is the same for any --jobs. Each writes its own folder; merged below.
  const shares = shareOut(sources, jobs);
  let done = 0;
  const parts = await Promise.all(
    shares.map(async (share, i) => {
      const dir = path.join(partial, `.part${i}`);
      await runWorker({ sources: share, options: { ...synthOptions, out: dir } }, () => bar.update(++done));
      return dir;
    }),
  );
  const records: SynthRecord[] = [];
  for (const src of sources) {
    const dir = parts.find((d) => fs.existsSync(path.join(d, src.split, src.sequence)))!;
    fs.mkdirSync(path.join(partial, src.split), { recursive: true });
    fs.renameSync(path.join(dir, src.split, src.sequence), path.join(partial, src.split, src.sequence));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, SYNTH_MANIFEST), 'utf8')) as { pairs: SynthRecord[] };
    records.push(...manifest.pairs.filter((r) => r.split === src.split && r.sequence === src.sequence));
  }
  for (const d of parts) fs.rmSync(d, { recursive: true });
  const manifest = { seed: o.seed, model: synthOptions.model, extent: DEFAULT_EXTENT, longSide: LONG_SIDE, crop: synthOptions.crop, orientations: true, pairs: records };
  fs.writeFileSync(path.join(partial, SYNTH_MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
  bar.stop();
  const seconds = (performance.now() - began) / 1000;
  fs.writeFileSync(path.join(partial, 'ATTRIBUTION.md'), attribution(records));
  fs.writeFileSync(path.join(partial, 'README.md'), readme(settings, records, seconds));
  fs.writeFileSync(path.join(partial, SETTINGS_FILE), `${JSON.stringify(settings, null, 1)}\n`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.renameSync(partial, out);
  console.log(`wrote ${path.relative(root, out)}/ in ${seconds.toFixed(0)} s: ${records.length} pairs; see its README.md`);
}

(process.argv.includes('--worker') ? worker() : main()).catch((e: unknown) => {
  console.error(`data:train: ${(e as Error).message}`);
  process.exit(e instanceof UsageError ? 2 : 1);
});
