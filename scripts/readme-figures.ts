/**
 * The README's figures, drawn from the shipped network by the notebooks' own viz code:
 *
 *   npm run figures            (writes docs/figures/*.png; --out DIR writes elsewhere)
 *
 * - restoration.png: the sample's test pair of median gain (chosen by the numbers, not by eye):
 *   blurred, the tuned unsharp mask, the shipped network, MAXIM-3S where its restoration is
 *   committed, and the sharp image, with the same region enlarged under each.
 * - real-photo.png: the real camera-shake photo and the shipped network's output on it.
 * - dffm-weights.png: DFFM's softmax share of each encoder scale per decoder level, over the
 *   sample's test images (notebook 06's first chart).
 */
import * as path from 'node:path';
import { Command } from 'commander';
import { selectBackend } from '../src/backend';
import { loadWeights, SHIPPED_WEIGHTS } from '../src/infer/weights';
import { openDataset } from '../src/data/open-dataset';
import { readImage, readRaster } from '../src/data/image';
import { evaluate } from '../src/eval/evaluate';
import { baselinesFor, restoreBaseline, scoredBaselines } from '../src/eval/baselines';
import { committedCache, readCached } from '../src/infer/restoration-cache';
import { deblurImage } from '../src/infer/deblur';
import { tensorToRaster, quantize8 } from '../src/data/raster';
import { Probe } from '../src/model/probes';
import { scores } from '../src/metrics';
import { detailRegion, zoomInsets, type Panel } from '../src/viz/images';
import { dffmShareBars, dffmSharesOver } from '../src/viz/attention';
import { screenshotBundles } from '../src/viz/screenshot';
import { runMain } from '../src/cli/run-main';

const MAXIM_RESTORATIONS = path.join('data', 'restored', 'maxim-deblurring-0.1.0');
const fmt = (s: { psnr: number; ssim: number }): string => `${s.psnr.toFixed(2)} dB / ${s.ssim.toFixed(3)}`;

export async function drawFigures(out: string, weights = SHIPPED_WEIGHTS, log: (line: string) => void = console.log): Promise<string[]> {
  await selectBackend({ log: () => undefined });
  const { model } = await loadWeights(weights);
  const name = path.basename(weights);
  const test = await openDataset('data/sample', { split: 'test' });
  const report = await evaluate(model, test.pairs);
  const order = report.images.map((im, i) => ({ i, gain: im.psnr.output - im.psnr.input })).sort((a, b) => a.gain - b.gain);
  const median = test.pairs[order[Math.floor(order.length / 2)]!.i]!;
  const written: string[] = [];

  const blur = (await readRaster(median.blur)).raster;
  const sharp = (await readRaster(median.sharp)).raster;
  const tuned = scoredBaselines(await baselinesFor({ root: test.root, layout: test.layout, split: 'test' }, test.pairs, 'build/cache')).tuned;
  const usm = restoreBaseline('usm', tuned, blur, sharp);
  const input = (await readImage(median.blur)).tensor;
  const restoredT = await deblurImage(model, input);
  const restored = quantize8(await tensorToRaster(restoredT.s1));
  input.dispose();
  restoredT.s1.dispose();
  restoredT.s2.dispose();
  restoredT.s3.dispose();
  const panels: Panel[] = [
    { image: blur, title: `blurred · ${fmt(scores(blur, sharp))}` },
    { image: usm, title: `unsharp mask · ${fmt(scores(usm, sharp))}` },
    { image: restored, title: `${name} · ${fmt(scores(restored, sharp))}` },
  ];
  const maxim = await readCached(committedCache(MAXIM_RESTORATIONS), 'auto', blur);
  if (maxim) panels.push({ image: maxim.restored, title: `MAXIM-3S · ${fmt(scores(maxim.restored, sharp))}` });
  panels.push({ image: sharp, title: 'sharp' });
  const restoration = path.join(out, 'restoration.png');
  await screenshotBundles([await zoomInsets(panels, detailRegion(sharp, 64), { width: 240, caption: `data/sample test pair ${median.id}: the median gain of ${name} over the ${test.pairs.length} test pairs` })], restoration);
  written.push(restoration);

  const real = await readImage('data/sample/real/clock_motion.png');
  const realOut = await deblurImage(model, real.tensor);
  const realRaster = await tensorToRaster(real.tensor);
  const realPhoto = path.join(out, 'real-photo.png');
  await screenshotBundles([await zoomInsets([{ image: realRaster, title: 'real camera shake (no sharp image exists)' }, { image: quantize8(await tensorToRaster(realOut.s1)), title: name }], detailRegion(realRaster, 96), { width: 360 })], realPhoto);
  real.tensor.dispose();
  realOut.s1.dispose();
  realOut.s2.dispose();
  realOut.s3.dispose();
  written.push(realPhoto);

  const blurred = await Promise.all(test.pairs.map(async (p) => (await readRaster(p.blur)).raster));
  const shares = await dffmSharesOver(new Probe(model), blurred);
  const dffm = path.join(out, 'dffm-weights.png');
  await screenshotBundles([dffmShareBars(shares, { title: `${name}: DFFM's share of each encoder scale (${blurred.length} test images)`, height: 360 })], dffm, { width: 900 });
  written.push(dffm);
  for (const f of written) log(`wrote ${f}`);
  return written;
}

if (require.main === module) {
  const o = new Command('readme-figures')
    .option('--out <dir>', 'where the PNGs go', path.join('docs', 'figures'))
    .option('--weights <dir>', 'the network drawn', SHIPPED_WEIGHTS)
    .parse(process.argv)
    .opts<{ out: string; weights: string }>();
  runMain('figures', () => drawFigures(o.out, o.weights).then(() => undefined));
}
