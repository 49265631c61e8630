/**
 * Builds a larger GoPro-layout training set (`npm run data:train`), not committed, from the
 * licensed photos of scripts/photo-sources.ts, shrunk to GoPro scale, each turned to a random one
 * of its 8 orientations, cropped at random and blurred many times over. Three mixtures:
 * - `--mix shake` (the default, `build/data/gopro-synth`): the first shipped network's data, the
 *   lab's camera shake alone (8–32 px) on the 11 training photos of data/sample, flat crops redrawn;
 * - `--mix mixed` (`build/data/mixed`): every training photo of both sets, each also at smaller
 *   scales, flat crops kept, and the lab's blur models mixed with mild, sharp and camera-degraded
 *   pairs (src/data/synth/generators.ts, MIXED_TRAINING). No pair uses the GoPro-style model the
 *   yardstick holds out;
 * - `--mix lens` (`build/data/lens`): as mixed, without defocused inputs, and with a third of the
 *   scenes partly or wholly out of focus in the sharp image too (LENS_TRAINING, depth-of-field.ts);
 * - `--mix bokeh` (`build/data/bokeh`): as lens, with half of the scenes out of focus and far
 *   softer backgrounds, disks of 2–40 px (BOKEH_TRAINING);
 * - `--mix grain` (`build/data/grain`): as bokeh, with camera effects on half of the pairs and two
 *   thirds of their sensor noise grain of the scene, which the sharp image keeps (GRAIN_TRAINING).
 * The held-out split (`test/`) comes from the test photos, which no training set ever sees.
 * `--dead-leaves S` (mixed family only) cuts a share S of the training pairs from procedural
 * dead-leaves scenes coloured from the training photos (scripts/dead-leaves-scenes.ts); the default
 * folder is then `build/data/<mix>-leaves<100·S>`. `--more-photos` (mixed family only) adds the
 * 100 training photos of GCompris (GCOMPRIS_PHOTOS); the default folder then ends in `-more`.
 *
 * Deterministic from the seed (for the same package versions and sharp/libvips). Building again
 * with the same settings finds the finished set and stops; a build that was interrupted starts
 * over, because the set is written to `OUT.partial/` and renamed only when complete.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import sharp from 'sharp';
import { shrunkSize } from '../src/data/image';
import { BOKEH_TRAINING, familiesOf, GRAIN_TRAINING, LENS_TRAINING, MIXED_TRAINING, SHAKE_ONLY, type WeightedGenerator } from '../src/data/synth/generators';
import { spread } from '../src/data/synth/statistics';
import { DEFAULT_EXTENT } from '../src/data/synth/synthesize';
import { SYNTH_MANIFEST, type SynthRecord, type SynthSource } from '../src/data/synth/write-dataset';
import { progress } from '../src/cli/progress';
import { nonNegativeInt, positiveInt } from '../src/cli/options';
import { UsageError } from '../src/errors';
import { takeLock } from '../src/train/lock';
import { GCOMPRIS_PHOTOS, MORE_PHOTOS, PACKAGES, PHOTOS, photoFrames, root, type Photo } from './photo-sources';
import { DEAD_LEAVES_VERSION, deadLeavesScenes, type Scene } from './dead-leaves-scenes';
import { synthesizeInParallel, type PoolOptions } from './synth-pool';
import { runMain } from '../src/cli/run-main';

const LONG_SIDE = 1280;
const SETTINGS_FILE = 'build-settings.json';

/** What a finished set was built with (build-settings.json): the same settings find it and stop. */
type Settings =
  | { seed: number; trainPairs: number; heldOutPairs: number; crop: number; extent: readonly [number, number]; longSide: number; orientations: true }
  | { seed: number; trainPairs: number; heldOutPairs: number; crop: number; mix: 'mixed' | 'lens' | 'bokeh' | 'grain'; longSide: number; scales: readonly number[]; orientations: true; keepFlat: true; deadLeaves?: { share: number; scenes: number }; morePhotos?: string };

const MIXES = ['shake', 'mixed', 'lens', 'bokeh', 'grain'] as const;
type Mix = (typeof MIXES)[number];

/** The mixed set also cuts its pairs from these smaller copies of each photo, with this share of the photo's pairs. */
const SCALES: ReadonlyArray<{ longSide: number; share: number }> = [
  { longSide: LONG_SIDE, share: 0.5 },
  { longSide: 800, share: 0.3 },
  { longSide: 512, share: 0.2 },
];

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

function attribution(records: SynthRecord[], photos: readonly Photo[], scenes: readonly Scene[]): string {
  const rows = photos.map((p: Photo) => {
    const n = records.filter((r) => r.source === p.file).length;
    const where = p.resource ? `\`${p.resource.path}\` in \`${p.resource.rcc}\`, unpacked to \`${p.file}\`` : `\`${p.file}\``;
    return `| ${p.split === 'test' ? 'test (held out)' : 'train'} | ${p.title} | ${p.author} | ${p.licence} (${p.licenceSource}) | Debian package \`${PACKAGES[p.pkg].name}\` ${PACKAGES[p.pkg].version}: ${where} | ${n} |`;
  });
  const sceneRows = scenes.map((x) => {
    const n = records.filter((r) => r.source === path.basename(x.file)).length;
    return `| train | ${x.title} (procedural) | drawn by deblur-lab (src/data/synth/dead-leaves.ts), colours from the training photos | none needed (generated) | \`${path.relative(root, x.file)}\` | ${n} |`;
  });
  return [
    '# Sources and licences',
    '',
    'Every pair here is a crop of one of these photos, shrunk to long side 1280 (Lanczos-3, only if',
    'larger; the mixed set also at 800 and 512), turned to one of its 8 orientations, and, for `blur/`',
    "and `blur_gamma/`, blurred with deblur-lab's synthetic blur; `synth.json` lists each pair's photo,",
    'orientation, window and blur. Blurred crops are adaptations of the photos and carry their licences',
    '(crops of CC-BY-SA photos are under CC-BY-SA, of GFDL photos under the GFDL, of GPL photos under the GPL). This set is built on',
    'your machine and is not redistributed by deblur-lab.',
    '',
    '| split | photo | author | licence (stated in) | source | pairs |',
    '|---|---|---|---|---|---|',
    ...rows,
    ...sceneRows,
    '',
  ].join('\n');
}

function readme(s: Settings, mix: readonly WeightedGenerator[], records: SynthRecord[], seconds: number): string {
  const line = (split: 'train' | 'test'): string => {
    const rs = records.filter((r) => r.split === split);
    const b = spread(rs.map((r) => r.psnr.blur));
    return `| ${split} | ${rs.length} | ${new Set(rs.map((r) => r.source)).size} | ${b.mean.toFixed(2)} ± ${b.std.toFixed(2)} |`;
  };
  const isMixed = 'mix' in s;
  const byGenerator = isMixed
    ? [
        '',
        'Pairs per generator (training split; camera effects: clipped highlights, sensor noise, JPEG):',
        '',
        '| generator | blur | pairs | with camera effects | scene partly out of focus | PSNR(blur, sharp) dB, mean ± std |',
        '|---|---|---|---|---|---|',
        ...mix.map(({ generator: g }) => {
          const rs = records.filter((r) => r.split === 'train' && r.generator === g.name);
          const b = spread(rs.map((r) => r.psnr.blur));
          return `| ${g.name} | ${g.about} | ${rs.length} | ${rs.filter((r) => r.camera).length} | ${rs.filter((r) => r.depthOfField).length} | ${rs.length ? `${b.mean.toFixed(2)} ± ${b.std.toFixed(2)}` : '–'} |`;
        }),
      ]
    : [];
  return [
    '# A synthetic GoPro-layout deblurring set (built by `npm run data:train`)',
    '',
    `Layout as GoPro: \`{train,test}/<photo>/{blur,blur_gamma,sharp}/NNNNNN.png\`, ${s.crop}×${s.crop} crops.`,
    '`test/` is the held-out split: its photos never appear in `train/` (nor in data/sample\'s train split).',
    isMixed
      ? `Seed ${s.seed}; the mixed blur of the generators below (families: ${familiesOf(mix).join(', ')}); \`blur/\` holds each pair's input (the sRGB or the linear-light average, as synth.json says), \`blur_gamma/\` the linear-light one. Photos at long sides ${s.scales.join(', ')}; flat crops kept; each pair's photo turned to one of 8 orientations; pairs per photo in proportion to its area. Sources and licences: ATTRIBUTION.md.`
      : `Seed ${s.seed}; blur extent U(${s.extent[0]}, ${s.extent[1]}) px at GoPro scale (long side ${s.longSide}); each pair's photo turned to one of 8 orientations; pairs per photo in proportion to its area. Sources and licences: ATTRIBUTION.md.`,
    '',
    `| split | pairs | ${isMixed && s.deadLeaves ? 'photos and scenes' : 'photos'} | PSNR(blur, sharp) dB, mean ± std |`,
    '|---|---|---|---|',
    line('train'),
    line('test'),
    ...byGenerator,
    '',
    `Built in ${Math.round(seconds)} s with sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}), Node ${process.versions.node}.`,
    '',
  ].join('\n');
}

function deadLeavesShare(v: string): number {
  const x = Number(v);
  if (!Number.isFinite(x) || x < 0 || x > 0.9) throw new InvalidArgumentError('must be a number from 0 to 0.9.');
  return x;
}

function mixOption(v: string): Mix {
  if (!(MIXES as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be ${MIXES.join(' or ')}.`);
  return v as Mix;
}

async function main(): Promise<void> {
  const cmd = new Command('data:train')
    .description('build a larger synthetic GoPro-layout training set from the licensed Debian photos (not committed)')
    .option('--mix <name>', "shake (the lab's camera shake alone, the first shipped network's data) mixed (more photos and scales, several blur models, mild, sharp and camera-degraded pairs) lens (mixed, with scenes partly out of focus in the sharp image too), bokeh (lens, with more scenes and far softer backgrounds out of focus) or grain (bokeh, with sensor noise the sharp image keeps too on about a quarter of the pairs)", mixOption, 'shake' as Mix)
    .option('--out <dir>', 'where to write it (default: build/data/gopro-synth for shake, else build/data/<mix>, with -leaves<100·S> after it for --dead-leaves S and -more for --more-photos)')
    .option('--seed <n>', 'seed of every crop, orientation and blur draw', nonNegativeInt, 1)
    .option('--train-pairs <n>', 'training pairs, over the training photos (default: 2400 for shake, 6000 for the others)', positiveInt)
    .option('--held-out-pairs <n>', 'held-out (test/) pairs, over the held-out photos', positiveInt, 240)
    .option('--crop <px>', 'square crop size', positiveInt, 256)
    .option('--dead-leaves <share>', 'share of the training pairs cut from procedural dead-leaves scenes (0 to 0.9; mixed family only)', deadLeavesShare, 0)
    .option('--more-photos', `also train on the ${GCOMPRIS_PHOTOS.length} photos of GCompris's picture activities (Debian's ${PACKAGES.gcompris.name}; mixed family only)`)
    .option('--jobs <n>', 'processes to synthesise with (the result is the same for any number)', positiveInt, Math.max(1, os.availableParallelism()))
    .showHelpAfterError()
    .parse(process.argv);
  const o = cmd.opts<{ mix: Mix; out?: string; seed: number; trainPairs?: number; heldOutPairs: number; crop: number; jobs: number; deadLeaves: number; morePhotos?: true }>();
  const mixed = o.mix !== 'shake';
  if (o.deadLeaves > 0 && !mixed) throw new UsageError('--dead-leaves needs a mixed-family --mix (mixed, lens, bokeh or grain), not shake');
  if (o.morePhotos && !mixed) throw new UsageError('--more-photos needs a mixed-family --mix (mixed, lens, bokeh or grain), not shake');
  const morePhotos = o.morePhotos ? `${PACKAGES.gcompris.name} ${PACKAGES.gcompris.version}` : undefined;
  const trainPairs = o.trainPairs ?? (mixed ? 6000 : 2400);
  const settings: Settings = mixed
    ? { seed: o.seed, trainPairs, heldOutPairs: o.heldOutPairs, crop: o.crop, mix: o.mix as Exclude<Mix, 'shake'>, longSide: LONG_SIDE, scales: SCALES.map((x) => x.longSide), orientations: true, keepFlat: true, ...(o.deadLeaves > 0 ? { deadLeaves: { share: o.deadLeaves, scenes: DEAD_LEAVES_VERSION } } : {}), ...(morePhotos ? { morePhotos } : {}) }
    : { seed: o.seed, trainPairs, heldOutPairs: o.heldOutPairs, crop: o.crop, extent: DEFAULT_EXTENT, longSide: LONG_SIDE, orientations: true };
  const generators = { shake: SHAKE_ONLY, mixed: MIXED_TRAINING, lens: LENS_TRAINING, bokeh: BOKEH_TRAINING, grain: GRAIN_TRAINING }[o.mix];
  const leavesName = o.deadLeaves > 0 ? `-leaves${Math.round(o.deadLeaves * 100)}` : '';
  const outArg = o.out ?? path.join('build', 'data', mixed ? `${o.mix}${leavesName}${morePhotos ? '-more' : ''}` : 'gopro-synth');
  const out = path.resolve(outArg);
  const settingsFile = path.join(out, SETTINGS_FILE);
  takeLock(`${out}.lock`, `the data folder ${path.relative(root, out)}`); // released when this process exits
  if (fs.existsSync(out)) {
    const had = fs.existsSync(settingsFile) ? fs.readFileSync(settingsFile, 'utf8') : undefined;
    if (had === `${JSON.stringify(settings, null, 1)}\n`) {
      console.log(`${path.relative(root, out)}: already built with these settings (${SETTINGS_FILE}); nothing to do`);
      return;
    }
    throw new UsageError(`${outArg} exists and was not built with these settings: choose another --out, or delete it first (nothing was changed)`);
  }

  const photos = mixed ? [...PHOTOS, ...MORE_PHOTOS, ...(morePhotos ? GCOMPRIS_PHOTOS : [])] : PHOTOS;
  const photoFramesAll = await photoFrames(photos, o.crop, LONG_SIDE);
  const scenes = o.deadLeaves > 0 ? await deadLeavesScenes(o.seed, photoFramesAll.filter((f) => f.photo.split === 'train').map((f) => f.file)) : [];
  const leavesPairs = Math.round(o.deadLeaves * trainPairs);
  // Scenes are frames of the training split like photos; their pairs are a share of their own.
  const frames = [
    ...photoFramesAll.map((f) => ({ ...f, split: f.photo.split, group: 'photo' as const })),
    ...scenes.map((x) => ({ file: x.file, size: { width: x.width, height: x.height }, area: x.width * x.height, split: 'train' as const, group: 'scene' as const })),
  ];
  const sources: SynthSource[] = [];
  const splits = [
    ['train', 'photo', trainPairs - leavesPairs],
    ['train', 'scene', leavesPairs],
    ['test', 'photo', o.heldOutPairs],
  ] as const;
  for (const [split, group, total] of splits) {
    const mine = frames.filter((f) => f.split === split && f.group === group);
    if (mine.length === 0) continue;
    const counts = pairsByArea(mine.map((f) => f.area), total, 1);
    mine.forEach((f, i) => {
      const sequence = path.basename(f.file, path.extname(f.file));
      // Smaller copies only where the photo is larger than them and still holds a crop.
      const holds = (longSide: number): boolean => {
        const s = shrunkSize(f.size.width, f.size.height, longSide);
        return longSide < Math.max(f.size.width, f.size.height) && Math.min(s.width, s.height) >= o.crop;
      };
      // Scenes are scale-invariant already, and shrinking one would make it crisper than any photo.
      const scales = mixed && f.group === 'photo' ? SCALES.filter((x, k) => k === 0 || holds(x.longSide)) : SCALES.slice(0, 1);
      const shares = pairsByArea(scales.map((x) => x.share), counts[i]!, 0);
      scales.forEach((x, k) => {
        if (shares[k]! === 0) return;
        sources.push({ sequence: k === 0 ? sequence : `${sequence}_L${x.longSide}`, file: f.file, split, count: shares[k]!, ...(k === 0 ? {} : { longSide: x.longSide }) });
      });
    });
  }

  const partial = `${out}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  // Every photo gets at least one pair, so a split asked for fewer pairs than it has photos gets one per photo.
  const made = (split: 'train' | 'test'): number => sources.filter((x) => x.split === split).reduce((n, x) => n + x.count, 0);
  const total = made('train') + made('test');
  const jobs = Math.min(o.jobs, sources.length);
  const raised = total > trainPairs + o.heldOutPairs ? ' (at least one pair per photo)' : '';
  console.log(`building ${total} pairs (${made('train')} train, ${made('test')} held out${raised}, mix ${o.mix}) of ${o.crop}² into ${path.relative(root, out)}/ with ${jobs} process${jobs > 1 ? 'es' : ''}`);
  const bar = progress('data:train', total);
  const began = performance.now();
  const options: PoolOptions = {
    seed: o.seed,
    generators,
    longSide: LONG_SIDE,
    crop: { width: o.crop, height: o.crop },
    orientations: true,
    ...(mixed ? { extentInFramePixels: true, keepFlat: true } : {}),
  };
  let done = 0;
  const records = await synthesizeInParallel(sources, options, partial, jobs, () => bar.update(++done));
  const manifest = mixed
    ? { seed: o.seed, generators: generators.map((m) => ({ weight: m.weight, ...m.generator })), longSide: LONG_SIDE, scales: SCALES, crop: options.crop, orientations: true, keepFlat: true, pairs: records }
    : { seed: o.seed, model: 'shake', extent: DEFAULT_EXTENT, longSide: LONG_SIDE, crop: options.crop, orientations: true, pairs: records };
  fs.writeFileSync(path.join(partial, SYNTH_MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
  bar.stop();
  const seconds = (performance.now() - began) / 1000;
  fs.writeFileSync(path.join(partial, 'ATTRIBUTION.md'), attribution(records, photos, scenes));
  fs.writeFileSync(path.join(partial, 'README.md'), readme(settings, generators, records, seconds));
  fs.writeFileSync(path.join(partial, SETTINGS_FILE), `${JSON.stringify(settings, null, 1)}\n`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.renameSync(partial, out);
  console.log(`wrote ${path.relative(root, out)}/ in ${seconds.toFixed(0)} s: ${records.length} pairs; see its README.md`);
}

if (require.main === module) runMain('data:train', main);
