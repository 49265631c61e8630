import * as path from 'node:path';
import type { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { readImage, writePng } from '../data/image';
import type { ImagePair } from '../data/dataset';
import { openDataset } from '../data/open-dataset';
import { deblurImage } from '../infer/deblur';
import { loadWeights, SHIPPED_WEIGHTS } from '../infer/weights';
import { evaluate } from '../eval/evaluate';
import { summarize } from '../model/summary';
import { trainingStateNear } from '../train/checkpoint';
import { maximCache, maximLoader, maximUnavailable, MAXIM_PACKAGE, MAXIM_VERSION } from '../peers/maxim';
import { describeEval, scoreBaselines, type PeerReport } from './eval';
import { startBackendOption } from './options';
import { progress } from './progress';


interface DemoOptions {
  weights: string;
  data: string;
  real: string;
  out: string;
  backend?: string;
}

/**
 * The main job: the shipped network deblurs the embedded sample's test split (scored against the
 * sharp images) and a real camera-shake photo (no ground truth), and writes every result as PNG.
 */
async function demo(o: DemoOptions): Promise<void> {
  await startBackendOption(o.backend);
  const { model, config, dir } = await loadWeights(o.weights);
  try {
    const trained = trainingStateNear(o.weights);
    const params = summarize(config).params.toLocaleString('en-US');
    console.log(
      `weights ${dir}: ${config.block} blocks + ${config.skip} skips, C=${config.channels}, N=${config.blocks}, ${params} parameters` +
        (trained ? `; trained ${trained.step} steps on ${trained.data.root} (${trained.data.description})` : ''),
    );
    const ds = await openDataset(o.data, { split: 'test', strict: true });
    const testOut = path.join(o.out, 'test');
    const bar = progress('deblurring', ds.pairs.length);
    const report = await evaluate(model, ds.pairs, { saveTo: testOut, onImage: (done) => bar.update(done) });
    bar.stop();
    const baselines = await scoreBaselines(ds, { split: 'test', blur: 'blur' }, ds.pairs);
    const peers = await scorePeers(ds.pairs);
    console.log('\n' + describeEval(report, `${ds.description} of ${ds.root}: blurred input vs restored output, each against the sharp image`, baselines, peers));

    const real = await readImage(o.real);
    const r = await deblurImage(model, real.tensor);
    const realOut = path.join(o.out, `${path.basename(o.real).replace(/\.[^.]+$/, '')}_deblurred.png`);
    await writePng(realOut, r.s1);
    tf.dispose([real.tensor, r.s1, r.s2, r.s3]);
    console.log(`\nrestored images: ${testOut}/ (${report.n} PNGs); the real camera-shake photo ${o.real} (${real.width}×${real.height}, no sharp version): ${realOut}`);
  } finally {
    model.dispose();
  }
}

/**
 * MAXIM on the same pairs when the peer is installed (`npm run setup -- --peers`), through its
 * restoration cache (the sample's restorations are committed, so this is quick there); else a line
 * saying how to add it.
 */
async function scorePeers(pairs: readonly ImagePair[]): Promise<PeerReport[]> {
  const missing = maximUnavailable();
  if (missing) {
    console.log(`\nMAXIM (a published GoPro-trained network) is not in this table: ${missing}`);
    return [];
  }
  const bar = progress('MAXIM-3S (cached restorations where it has them)', pairs.length);
  const report = await evaluate(maximLoader(), pairs, { cache: maximCache(), onImage: (done) => bar.update(done) });
  bar.stop();
  return [{ label: `MAXIM-3S (${MAXIM_PACKAGE} ${MAXIM_VERSION}, GoPro-trained)`, report }];
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the main job: the shipped network deblurs the sample test set (with the PSNR/SSIM table) and a real photo')
    .option('--weights <dir>', 'weights folder or training run', SHIPPED_WEIGHTS)
    .option('--data <dir>', 'dataset whose test split to deblur and score', 'data/sample')
    .option('--real <file>', 'a real blurred photo without ground truth', 'data/sample/real/clock_motion.png')
    .option('--out <dir>', 'where the restored images go', 'build/demo')
    .option('--backend <name>', 'auto, tensorflow, webgpu, wasm or cpu (default: $DEBLUR_BACKEND or auto)')
    .action(demo);
}
