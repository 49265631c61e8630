import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { readRaster } from '../data/image';
import type { Raster } from '../data/raster';
import { UsageError } from '../errors';
import { restoreBaseline, tunedFor, type TunedBaselines } from '../eval/baselines';
import { scoreImage } from '../eval/evaluate';
import { defaultProtocol, realBlurUnavailable } from '../eval/realblur-protocol';
import { restoreS1, type NetworkSource, type RestorationCache } from '../infer/restoration-cache';
import { loadWeights } from '../infer/weights';
import { PEER_WEIGHTS } from '../notebook-params';
import { maximCache, maximLoader, maximUnavailable } from '../peers/maxim';
import { galleryPage, type GalleryCell, type GalleryRow } from '../viz/gallery';
import { detailRegion } from '../viz/images';
import { commaList, startBackendOption } from './options';
import { addDatasetOptions, datasetSpec, openDatasetOption, type DatasetCliOptions } from './dataset-options';
import { progress } from './progress';

interface CompareCliOptions extends DatasetCliOptions {
  real?: string[];
  weights: string[];
  out: string;
  force?: boolean;
  backend?: string;
}

interface Network {
  name: string;
  source: NetworkSource;
  cache?: RestorationCache;
  dispose(): void;
}

const BASELINE_CACHE = path.join('build', 'cache');

async function networksOf(weights: readonly string[]): Promise<Network[]> {
  const out: Network[] = [];
  for (const w of weights) {
    if (w === PEER_WEIGHTS && !fs.existsSync(w)) {
      const missing = maximUnavailable();
      if (missing) throw new UsageError(`--weights maxim: ${missing}`);
      // Loaded only where a restoration is not in its cache.
      out.push({ name: 'MAXIM-3S', source: maximLoader(), cache: maximCache(), dispose: () => undefined });
    } else {
      const { model } = await loadWeights(w);
      out.push({ name: path.basename(path.resolve(w)), source: model, dispose: () => model.dispose() });
    }
  }
  const names = out.map((n) => n.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new UsageError(`--weights names ${twice} twice (two folders of that name?): give distinct folders`);
  return out;
}

/** The largest detail square that fits well inside an image. */
function regionOf(r: Raster, size: number) {
  return detailRegion(r, Math.min(size, Math.floor(Math.min(r.width, r.height) / 2)));
}

async function compareCommand(o: CompareCliOptions): Promise<void> {
  if (o.data === undefined && (o.real ?? []).length === 0) throw new UsageError('give --data DIR (pairs with sharp images) and/or --real FILES (photos without one)');
  if (path.extname(o.out).toLowerCase() !== '.html') throw new UsageError(`--out ${o.out}: the report is one HTML file, so its name must end in .html`);
  if (fs.existsSync(o.out) && !o.force) throw new UsageError(`${o.out} exists: choose another name or add --force`);
  for (const f of o.real ?? []) if (!fs.existsSync(f)) throw new UsageError(`--real ${f}: no such file`);
  const opened = o.data === undefined ? undefined : await openDatasetOption(o.data, o);
  const ds = opened?.ds;
  const pairs = opened?.pairs ?? [];
  const protocol = ds ? defaultProtocol(ds.layout) : 'whole';
  if (protocol === 'realblur') {
    const missing = realBlurUnavailable();
    if (missing) throw new UsageError(`scoring RealBlur by its protocol: ${missing}`);
  }
  await startBackendOption(o.backend);
  const nets = await networksOf(o.weights);
  try {
    // The unsharp mask tuned on the data's training split; without one (a pairs folder, only real photos), left out.
    const tuned: TunedBaselines | { skipped: string } = ds ? await tunedFor(datasetSpec(ds, o), BASELINE_CACHE) : { skipped: 'no dataset to tune it on' };
    const usm = 'skipped' in tuned ? undefined : tuned;
    const rows: GalleryRow[] = [];
    const jobs = [...pairs.map((p) => ({ id: p.id, blur: p.blur, sharp: p.sharp as string | undefined })), ...(o.real ?? []).map((f) => ({ id: f, blur: f, sharp: undefined }))];
    const bar = progress('compare', jobs.length * nets.length);
    let done = 0;
    for (const job of jobs) {
      const blur = (await readRaster(job.blur)).raster;
      const sharp = job.sharp ? (await readRaster(job.sharp)).raster : undefined;
      const cell = (method: string, image: Raster): GalleryCell => (sharp ? { method, image, ...scoreImage(image, sharp, protocol) } : { method, image });
      const cells: GalleryCell[] = [cell('blurred input', blur)];
      if (usm) cells.push(cell('unsharp mask', restoreBaseline('usm', usm, blur, sharp ?? blur)));
      for (const n of nets) {
        const r = await restoreS1(n.source, blur, { ...(n.cache ? { cache: n.cache } : {}), source: job.id });
        cells.push(cell(n.name, r.restored));
        bar.update(++done, `${n.name} on ${job.id}`);
      }
      if (sharp) cells.push({ method: 'sharp', image: sharp });
      const gains = sharp ? Object.fromEntries(cells.slice(1, -1).map((c) => [c.method, c.psnr! - cells[0]!.psnr!])) : undefined;
      rows.push({ id: job.id, cells, region: regionOf(sharp ?? blur, sharp ? 64 : 96), ...(gains ? { gains } : {}) });
    }
    bar.stop();
    const about = [
      ds ? `${ds.description} in ${ds.root}: ${pairs.length} pairs${protocol === 'realblur' ? ", scored by RealBlur's protocol (each image aligned to the sharp one first)" : ''}` : '',
      (o.real ?? []).length ? `${o.real!.length} photo${o.real!.length > 1 ? 's' : ''} without a sharp image (no scores)` : '',
      usm ? `unsharp mask σ ${usm.usm.sigma}, amount ${usm.usm.amount}, tuned on ${usm.tunedOn.description}` : `no unsharp mask: ${(tuned as { skipped: string }).skipped}`,
      'PSNR (dB) / SSIM against the sharp image; the red square, enlarged under each image, is where the sharp image has the most detail',
    ].filter(Boolean);
    const page = await galleryPage(rows, { title: `deblur-lab: ${nets.map((n) => n.name).join(', ')}`, about: about.join('. ') + '.', networks: nets.map((n) => n.name) });
    fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
    const tmp = `${o.out}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, page);
    fs.renameSync(tmp, o.out);
    console.log(`wrote ${o.out}: ${rows.length} rows (${(page.length / 2 ** 20).toFixed(1)} MiB, images inlined)`);
  } finally {
    for (const n of nets) n.dispose();
  }
}

export function registerCompare(program: Command): void {
  const cmd = program
    .command('compare')
    .description('a comparison gallery as one self-contained HTML page: per image, the input, the tuned unsharp mask, each network and the sharp image side by side in one row, with a region enlarged; rows sortable by gain')
    .option('--data <dir>', 'dataset folder: GoPro, RealBlur or blur/ + sharp/ layout')
    .option('--real <files...>', 'also blurred photos without a sharp image (rows without scores)')
    .requiredOption('--weights <list>', 'weights folders or runs, and maxim for the peer, comma-separated', commaList)
    .requiredOption('--out <file>', 'the report, e.g. report.html')
    .option('--force', 'overwrite --out')
    .option('--backend <name>', 'auto, tensorflow, webgpu, wasm or cpu (default: $DEBLUR_BACKEND or auto)');
  addDatasetOptions(cmd).action(compareCommand);
}
