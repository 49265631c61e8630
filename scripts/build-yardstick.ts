/**
 * Builds the generalisation yardstick (`npm run data:yardstick`, not committed): one GoPro-layout
 * set per blur generator (src/data/synth/generators.ts, YARDSTICK_GENERATORS), under
 * `build/data/yardstick/<generator>/`. Each set's `test/` split is cut from the test photos, which
 * no training set ever uses; its small `train/` split, from the training photos, is only for tuning
 * the classical baselines on that generator. `eval --yardstick` scores a network on every set and
 * says which generators it was trained with.
 *
 * Deterministic from the seed; building again with the same settings finds the finished set and
 * stops; an interrupted build starts over (it is written to `OUT.partial/` and renamed at the end).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import sharp from 'sharp';
import { YARDSTICK_GENERATORS } from '../src/data/synth/generators';
import { spread } from '../src/data/synth/statistics';
import { SYNTH_MANIFEST, type SynthRecord, type SynthSource } from '../src/data/synth/write-dataset';
import { YARDSTICK_FILE, type YardstickManifest } from '../src/eval/yardstick';
import { progress } from '../src/cli/progress';
import { nonNegativeInt, positiveInt } from '../src/cli/options';
import { UsageError } from '../src/errors';
import { takeLock } from '../src/train/lock';
import { pairsByArea } from './build-train-set';
import { MORE_PHOTOS, PACKAGES, PHOTOS, photoFrames, root } from './photo-sources';
import { synthesizeInParallel } from './synth-pool';
import { runMain } from '../src/cli/run-main';

const LONG_SIDE = 1280;

async function main(): Promise<void> {
  const cmd = new Command('data:yardstick')
    .description('build the generalisation yardstick: one evaluation set per blur generator, from photos no training set uses (not committed)')
    .option('--out <dir>', 'where to write it', path.join('build', 'data', 'yardstick'))
    .option('--seed <n>', 'seed of every crop, orientation and blur draw', nonNegativeInt, 7)
    .option('--test-pairs <n>', 'scored pairs per generator, over the test photos', positiveInt, 64)
    .option('--tuning-pairs <n>', 'pairs per generator over the training photos, for tuning the baselines', positiveInt, 48)
    .option('--crop <px>', 'square crop size', positiveInt, 256)
    .option('--jobs <n>', 'processes to synthesise with (the result is the same for any number)', positiveInt, Math.max(1, os.availableParallelism()))
    .showHelpAfterError()
    .parse(process.argv);
  const o = cmd.opts<{ out: string; seed: number; testPairs: number; tuningPairs: number; crop: number; jobs: number }>();
  const settings = { seed: o.seed, testPairs: o.testPairs, tuningPairs: o.tuningPairs, crop: o.crop, longSide: LONG_SIDE, generators: YARDSTICK_GENERATORS };
  const out = path.resolve(o.out);
  const settingsText = `${JSON.stringify(settings, null, 1)}\n`;
  takeLock(`${out}.lock`, `the data folder ${path.relative(root, out)}`); // released when this process exits
  if (fs.existsSync(out)) {
    const file = path.join(out, 'build-settings.json');
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === settingsText) {
      console.log(`${path.relative(root, out)}: already built with these settings; nothing to do`);
      return;
    }
    throw new UsageError(`${o.out} exists and was not built with these settings: choose another --out, or delete it first (nothing was changed)`);
  }

  const photos = [...PHOTOS, ...MORE_PHOTOS];
  const frames = await photoFrames(photos, o.crop, LONG_SIDE);
  const sources: SynthSource[] = [];
  for (const [split, total] of [['train', o.tuningPairs], ['test', o.testPairs]] as const) {
    const mine = frames.filter((f) => f.photo.split === split);
    const counts = pairsByArea(mine.map((f) => f.area), total, 1);
    mine.forEach((f, i) => sources.push({ sequence: path.basename(f.photo.file, path.extname(f.photo.file)), file: f.file, split, count: counts[i]! }));
  }

  const partial = `${out}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  const perSet = o.testPairs + o.tuningPairs;
  console.log(`building ${YARDSTICK_GENERATORS.length} sets of ${perSet} pairs (${o.testPairs} scored, ${o.tuningPairs} for tuning baselines) of ${o.crop}² into ${path.relative(root, out)}/`);
  const bar = progress('data:yardstick', perSet * YARDSTICK_GENERATORS.length);
  const began = performance.now();
  let done = 0;
  const rows: string[] = [];
  for (const g of YARDSTICK_GENERATORS) {
    const dir = path.join(partial, g.name);
    const generators = [{ weight: 1, generator: g }];
    const options = { seed: o.seed, generators, longSide: LONG_SIDE, crop: { width: o.crop, height: o.crop }, orientations: true, keepFlat: true };
    const records = await synthesizeInParallel(sources, options, dir, o.jobs, () => bar.update(++done, g.name));
    const manifest = { seed: o.seed, generators: generators.map((m) => ({ weight: m.weight, ...m.generator })), longSide: LONG_SIDE, crop: options.crop, orientations: true, keepFlat: true, pairs: records };
    fs.writeFileSync(path.join(dir, SYNTH_MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
    const test = records.filter((r: SynthRecord) => r.split === 'test');
    const b = spread(test.map((r) => r.psnr.blur));
    rows.push(`| ${g.name} | ${g.family} | ${g.about} | ${test.length} | ${b.mean.toFixed(2)} ± ${b.std.toFixed(2)} |`);
  }
  bar.stop();
  const yardstick: YardstickManifest = { seed: o.seed, generators: YARDSTICK_GENERATORS.map((g) => ({ ...g })) };
  fs.writeFileSync(path.join(partial, YARDSTICK_FILE), `${JSON.stringify(yardstick, null, 1)}\n`);
  const used = photos.filter((p) => sources.some((s) => s.file.endsWith(`/${p.file}`)));
  fs.writeFileSync(
    path.join(partial, 'ATTRIBUTION.md'),
    [
      '# Sources and licences',
      '',
      'Every pair is a crop of one of these photos, shrunk to long side 1280, turned to one of its 8',
      'orientations and blurred by one generator. Blurred crops are adaptations of the photos and carry',
      'their licences. Built on your machine; not redistributed by deblur-lab.',
      '',
      '| split | photo | author | licence (stated in) | source |',
      '|---|---|---|---|---|',
      ...used.map((p) => `| ${p.split === 'test' ? 'scored' : 'baseline tuning'} | ${p.title} | ${p.author} | ${p.licence} (${p.licenceSource}) | Debian package \`${PACKAGES[p.pkg].name}\` ${PACKAGES[p.pkg].version}: \`${p.file}\` |`),
      '',
    ].join('\n'),
  );
  fs.writeFileSync(
    path.join(partial, 'README.md'),
    [
      '# The generalisation yardstick (built by `npm run data:yardstick`)',
      '',
      `One GoPro-layout set per blur generator, ${o.crop}×${o.crop} crops of photos at long side ${LONG_SIDE}, flat crops kept.`,
      `Each set's \`test/\` split (${o.testPairs} pairs) is cut from the ${frames.filter((f) => f.photo.split === 'test').length} test photos, which no training set uses;`,
      `its \`train/\` split (${o.tuningPairs} pairs, from the training photos) only tunes the classical baselines.`,
      '`blur/` holds what is scored. Score a network with `npm run cli -- eval --yardstick build/data/yardstick --weights DIR`.',
      '',
      '| generator | family | blur | scored pairs | PSNR(blur, sharp) dB, mean ± std |',
      '|---|---|---|---|---|',
      ...rows,
      '',
      `Seed ${o.seed}. Built in ${Math.round((performance.now() - began) / 1000)} s with sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}), Node ${process.versions.node}.`,
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(partial, 'build-settings.json'), settingsText);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.renameSync(partial, out);
  console.log(`wrote ${path.relative(root, out)}/: ${YARDSTICK_GENERATORS.map((g) => g.name).join(', ')}; see its README.md`);
}

runMain('data:yardstick', main);
