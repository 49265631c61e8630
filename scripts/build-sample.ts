/**
 * Builds data/sample/ (`npm run data:sample`): real photographs from Debian packages, shrunk to
 * GoPro scale, cropped and blurred by the synthesiser into a small GoPro-layout set, with its
 * attribution, README and checksums. `--check` builds into build/ and compares byte for byte with
 * the committed files instead of replacing them.
 *
 * The sources are fetched with `apt-get download` at pinned versions and unpacked with
 * `dpkg-deb -x` (nothing is installed). Output is deterministic for the same package versions and
 * the same sharp/libvips build (the resize and PNG encoder): the README records both.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { readRaster } from '../src/data/image';
import { psnrByExtent, spread } from '../src/data/synth/statistics';
import { DEFAULT_EXTENT } from '../src/data/synth/synthesize';
import { singleGenerator } from '../src/data/synth/generators';
import { writeSynthDataset, type SynthRecord, type SynthSource } from '../src/data/synth/write-dataset';
import { cache, fetchPackages, listFiles, packagesOf, PACKAGES, PHOTOS, REAL_BLUR, root, sha256, SHARE_ALIKE, SKIMAGE_FETCHERS, type Photo, type Pkg } from './photo-sources';
import { runMain } from '../src/cli/run-main';

const SEED = 2023;
const LONG_SIDE = 1280;
const CROP = { width: 256, height: 256 };

function folderBytes(dir: string): number {
  return listFiles(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

function attribution(records: SynthRecord[], shareAlike: SynthRecord[], sums: Map<string, string>): string {
  const pkgLine = (k: Pkg): string => `Debian package \`${PACKAGES[k].name}\` ${PACKAGES[k].version}`;
  const rows = (licenceFilter: (p: Photo) => boolean, recs: SynthRecord[], prefix: string): string[] =>
    PHOTOS.filter(licenceFilter).map((p) => {
      const mine = recs.filter((r) => r.source === p.file);
      const windows = mine.map((r) => `\`${prefix}${r.split}/${r.sequence}/*/${r.file}\`: ${r.window.width}×${r.window.height} at (${r.window.left}, ${r.window.top}) of the ${r.frame.width}×${r.frame.height} frame, blur extent ${r.extent.toFixed(1)} px, ${r.poses} poses`).join('<br>');
      return `| ${p.title} | ${p.author} | ${p.licence} (${p.licenceSource}) | ${pkgLine(p.pkg)}: \`${p.file}\`, sha256 \`${sums.get(p.file)!.slice(0, 16)}…\` | ${windows} |`;
    });
  const header = '| photo | author | licence (stated in) | source | what was done: shrunk to long side 1280 (Lanczos-3, only if larger), cropped, blurred |\n|---|---|---|---|---|';
  return [
    '# data/sample: sources and licences',
    '',
    'Every image in this folder is derived from a photograph shipped in a Debian package, fetched with',
    '`apt-get download` and unpacked with `dpkg-deb -x`. Each photo was shrunk to GoPro scale (long side',
    `1280 px, Lanczos-3; smaller photos kept as they are), cropped to ${CROP.width}×${CROP.height} and, for \`blur/\` and`,
    '`blur_gamma/`, blurred with deblur-lab\'s synthetic camera shake (`src/data/synth/`); `sharp/` is the',
    'unblurred crop. The blurred images are adaptations of the photos and carry the same licence.',
    'Built by `npm run data:sample` (scripts/build-sample.ts); per-pair details in `synth.json`.',
    '',
    '## Photos under CC-BY-4.0, CC-BY-2.0, CC0 or in the public domain (`train/`, `test/`)',
    '',
    header,
    ...rows((p) => p.licence !== 'CC-BY-SA-4.0', records, ''),
    '',
    `## Photos under CC-BY-SA-4.0 (\`${SHARE_ALIKE}/\`, kept apart under their licence)`,
    '',
    `Everything in \`${SHARE_ALIKE}/\` is licensed CC-BY-SA-4.0 (see \`${SHARE_ALIKE}/LICENSE.md\`).`,
    '',
    header,
    ...rows((p) => p.licence === 'CC-BY-SA-4.0', shareAlike, `${SHARE_ALIKE}/`),
    '',
    '## Real camera shake, no ground truth (`real/`)',
    '',
    '| file | what | author | licence (stated in) | source | changes |',
    '|---|---|---|---|---|---|',
    `| \`real/clock_motion.png\` | a wall clock photographed while the camera moved: real blur, no sharp version | Stefan van der Walt | public domain ("Released into the public domain by the photographer", ${SKIMAGE_FETCHERS}) | ${pkgLine('skimage')}: \`clock_motion.png\`, sha256 \`${sums.get(REAL_BLUR.file)!.slice(0, 16)}…\` | none (400×300, 8-bit grey) |`,
    '',
    '## Licence texts',
    '',
    '- CC-BY-4.0: https://creativecommons.org/licenses/by/4.0/',
    '- CC-BY-SA-4.0: https://creativecommons.org/licenses/by-sa/4.0/',
    '- CC-BY-2.0: https://creativecommons.org/licenses/by/2.0/',
    '- CC0-1.0: https://creativecommons.org/publicdomain/zero/1.0/',
    '',
    'The photos are provided by their authors as-is, without warranties. Attribution as above; the',
    'changes made are listed per image.',
    '',
  ].join('\n');
}

function readme(records: SynthRecord[], curve: ReturnType<typeof psnrByExtent>, bytes: number): string {
  const line = (split: 'train' | 'test'): string => {
    const rs = records.filter((r) => r.split === split);
    const b = spread(rs.map((r) => r.psnr.blur));
    const g = spread(rs.map((r) => r.psnr.blurGamma));
    const photos = new Set(rs.map((r) => r.sequence)).size;
    return `| ${split} | ${rs.length} | ${photos} | ${b.mean.toFixed(2)} ± ${b.std.toFixed(2)} | ${g.mean.toFixed(2)} ± ${g.std.toFixed(2)} |`;
  };
  return [
    '# data/sample: a small GoPro-layout deblurring set',
    '',
    'Real photographs (see [ATTRIBUTION.md](ATTRIBUTION.md)) with synthetic GoPro-style camera shake, laid',
    'out exactly like GoPro: `{train,test}/<photo>/{blur,blur_gamma,sharp}/NNNNNN.png`, every image',
    `${CROP.width}×${CROP.height}. Test photos never appear in training. \`${SHARE_ALIKE}/\` holds five more test pairs`,
    `from CC-BY-SA photos (same layout); \`real/\` one real camera-shake photo with no sharp version.`,
    '',
    `Synthesis: seed ${SEED}; blur extent (the largest distance a frame corner travels during the`,
    `exposure) drawn from U(${DEFAULT_EXTENT[0]}, ${DEFAULT_EXTENT[1]}) px at GoPro scale (long side ${LONG_SIDE}; smaller photos get`,
    'proportionally less); 7–13 averaged poses along a smooth random camera path with in-plane',
    'rotation; `blur/` averages sRGB values, `blur_gamma/` averages in linear light (gamma 2.2).',
    '',
    '## How blurred is it? PSNR(blurred, sharp), dB, mean ± std over pairs',
    '',
    '| split | pairs | photos | `blur/` | `blur_gamma/` |',
    '|---|---|---|---|---|',
    line('train'),
    line('test'),
    '',
    'GoPro\'s own test set is ~25–26 dB by the same measure. PSNR is scikit-image\'s (data range 1, RGB).',
    '',
    '## PSNR against blur extent',
    '',
    `The same ${curve[0]!.n} crops and camera-path shapes (2 per photo, all ${new Set(records.map((r) => r.source)).size} photos of train/ and test/) at each`,
    'extent, only the scale changed (`psnrByExtent` in src/data/synth/statistics.ts):',
    '',
    '| extent (px) | `blur/` dB | `blur_gamma/` dB |',
    '|---|---|---|',
    ...curve.map((r) => `| ${r.extent} | ${r.blur.mean.toFixed(2)} ± ${r.blur.std.toFixed(2)} | ${r.blurGamma.mean.toFixed(2)} ± ${r.blurGamma.std.toFixed(2)} |`),
    '',
    '## Rebuilding',
    '',
    '`npm run data:sample` rebuilds this folder from the Debian packages; `npm run data:sample -- --check`',
    'rebuilds it under build/ and compares every file byte for byte with this one (SHA256SUMS).',
    `Built with sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}) and Node ${process.versions.node}; a different`,
    'libvips can change the resized photos and so every file, which `--check` then reports.',
    '',
    `Size: ${(bytes / 1e6).toFixed(1)} MB.`,
    '',
  ].join('\n');
}

async function build(out: string): Promise<void> {
  const dirs = fetchPackages(packagesOf([...PHOTOS, REAL_BLUR]));
  const staging = path.join(cache, 'photos');
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  const sums = new Map<string, string>();
  const sourceOf = (p: { pkg: Pkg; file: string }): string => {
    const f = path.join(dirs[p.pkg], p.file);
    if (!sums.has(p.file)) sums.set(p.file, sha256(f));
    return f;
  };
  const toSource = (p: Photo): SynthSource => ({ sequence: path.basename(p.file, path.extname(p.file)), file: sourceOf(p), split: p.split, count: p.count });
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const opts = { seed: SEED, generators: singleGenerator('shake', DEFAULT_EXTENT), longSide: LONG_SIDE, crop: CROP };
  const log = (done: number, total: number, r: SynthRecord): void => console.log(`  ${done}/${total} ${r.split}/${r.sequence}/${r.file}: extent ${r.extent.toFixed(1)} px, PSNR ${r.psnr.blur.toFixed(2)} dB`);
  console.log('synthesising train/ and test/');
  const records = await writeSynthDataset(PHOTOS.filter((p) => p.licence !== 'CC-BY-SA-4.0').map(toSource), { ...opts, out, onPair: log });
  console.log(`synthesising ${SHARE_ALIKE}/`);
  const saOut = path.join(out, SHARE_ALIKE);
  const shareAlike = await writeSynthDataset(PHOTOS.filter((p) => p.licence === 'CC-BY-SA-4.0').map(toSource), { ...opts, out: saOut, onPair: log });
  fs.copyFileSync(path.join(root, 'scripts', 'sample-cc-by-sa-LICENSE.md'), path.join(saOut, 'LICENSE.md'));
  fs.mkdirSync(path.join(out, 'real'));
  fs.copyFileSync(sourceOf(REAL_BLUR), path.join(out, 'real', REAL_BLUR.file));

  console.log('measuring PSNR against blur extent');
  const frames = [];
  for (const p of PHOTOS.filter((q) => q.licence !== 'CC-BY-SA-4.0')) frames.push((await readRaster(sourceOf(p), { longSide: LONG_SIDE })).raster);
  const curve = psnrByExtent(frames, [8, 16, 24, 32, 48, 64, 72, 96], { crop: CROP.width, draws: 2, seed: SEED, longSide: LONG_SIDE });

  fs.writeFileSync(path.join(out, 'ATTRIBUTION.md'), attribution(records, shareAlike, sums));
  const bytes = folderBytes(out);
  fs.writeFileSync(path.join(out, 'README.md'), readme(records, curve, bytes));
  const files = listFiles(out).filter((f) => f !== 'SHA256SUMS');
  fs.writeFileSync(path.join(out, 'SHA256SUMS'), files.map((f) => `${sha256(path.join(out, f))}  ${f}\n`).join(''));
}

function compare(built: string, committed: string): string[] {
  const a = new Map(listFiles(built).map((f) => [f, sha256(path.join(built, f))]));
  const b = new Map(fs.existsSync(committed) ? listFiles(committed).map((f) => [f, sha256(path.join(committed, f))]) : []);
  const diffs: string[] = [];
  for (const [f, h] of a) if (b.get(f) !== h) diffs.push(b.has(f) ? `differs: ${f}` : `missing from the committed set: ${f}`);
  for (const f of b.keys()) if (!a.has(f)) diffs.push(`not produced by the build: ${f}`);
  return diffs;
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const target = path.join(root, 'data', 'sample');
  const out = path.join(root, 'build', 'sample');
  const start = Date.now();
  await build(out);
  console.log(`built in ${((Date.now() - start) / 1000).toFixed(0)} s: ${listFiles(out).length} files, ${(folderBytes(out) / 1e6).toFixed(1)} MB`);
  if (check) {
    const diffs = compare(out, target);
    if (diffs.length === 0) {
      console.log('check: the rebuilt sample matches data/sample byte for byte');
      return;
    }
    console.log(`check: ${diffs.length} differences from data/sample:\n  ${diffs.slice(0, 10).join('\n  ')}${diffs.length > 10 ? '\n  …' : ''}`);
    const readmeNow = fs.existsSync(path.join(target, 'README.md')) ? fs.readFileSync(path.join(target, 'README.md'), 'utf8') : '';
    const built = /Built with sharp (\S+) \(libvips (\S+)\)/.exec(readmeNow);
    if (built && (built[1] !== sharp.versions.sharp || built[2] !== sharp.versions.vips)) {
      console.log(`why: data/sample was built with sharp ${built[1]} / libvips ${built[2]}, this machine has ${sharp.versions.sharp} / ${sharp.versions.vips}`);
    } else {
      console.log('why: unexplained (same sharp and libvips); the source photos\' checksums are in ATTRIBUTION.md to compare');
    }
    process.exitCode = 1;
    return;
  }
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(out, target);
  console.log(`wrote ${path.relative(root, target)}/`);
}

runMain('data:sample', main);
