import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { wasmHeapBytes } from '../backend';
import { isImageFile } from '../data/dataset';
import { readImage, writePng } from '../data/image';
import { UsageError } from '../errors';
import { deblurImage } from '../infer/deblur';
import { addInferenceOptions, prepareInference, tilingOf, type InferenceCliOptions } from './inference-options';
import { progress } from './progress';

interface DeblurCliOptions extends InferenceCliOptions {
  force?: boolean;
  scales?: boolean;
}

interface Job {
  input: string;
  output: string;
}

/** IN → OUT for a file, or every PNG/JPEG in a folder → PNGs of the same name in another folder. */
function plan(input: string, output: string, force: boolean): Job[] {
  if (!fs.existsSync(input)) throw new UsageError(`${input}: no such file or folder`);
  let jobs: Job[];
  if (fs.statSync(input).isDirectory()) {
    if (fs.existsSync(output) && !fs.statSync(output).isDirectory()) throw new UsageError(`${output}: IN is a folder, so OUT must be a folder too`);
    if (path.resolve(input) === path.resolve(output)) throw new UsageError('OUT must be a different folder from IN (the inputs would be overwritten)');
    const files = fs.readdirSync(input).filter((n) => isImageFile(n) && fs.statSync(path.join(input, n)).isFile()).sort();
    if (files.length === 0) throw new UsageError(`${input}: no PNG or JPEG images in this folder`);
    jobs = files.map((n) => ({ input: path.join(input, n), output: path.join(output, `${path.basename(n, path.extname(n))}.png`) }));
    const names = new Set<string>();
    for (const j of jobs) {
      if (names.has(j.output)) throw new UsageError(`two inputs would both be written to ${j.output}: rename one`);
      names.add(j.output);
    }
  } else {
    if (path.extname(output).toLowerCase() !== '.png') throw new UsageError(`${output}: the output is written as PNG, so OUT must end in .png`);
    if (path.resolve(input) === path.resolve(output)) throw new UsageError('OUT must differ from IN (the input would be overwritten)');
    jobs = [{ input, output }];
  }
  const existing = jobs.filter((j) => fs.existsSync(j.output));
  if (existing.length && !force) {
    throw new UsageError(`${existing[0]!.output}${existing.length > 1 ? ` and ${existing.length - 1} more` : ''} already exist${existing.length > 1 ? '' : 's'}: pass --force to overwrite (nothing was written)`);
  }
  return jobs;
}

async function deblur(input: string, output: string, o: DeblurCliOptions): Promise<void> {
  const tiling = tilingOf(o);
  const jobs = plan(input, output, o.force ?? false);
  const { model, dir } = await prepareInference(o);
  let heapPeak = 0;
  try {
    const bar = progress('deblur', jobs.length);
    let done = 0;
    for (const job of jobs) {
      const img = await readImage(job.input); // a corrupt image stops here, naming the file; earlier outputs stay
      const t0 = performance.now();
      const r = await deblurImage(model, img.tensor, tiling);
      const ms = performance.now() - t0;
      heapPeak = Math.max(heapPeak, wasmHeapBytes() ?? 0);
      fs.mkdirSync(path.dirname(job.output), { recursive: true });
      await writePng(job.output, r.s1);
      if (o.scales) {
        const stem = job.output.replace(/\.png$/i, '');
        await writePng(`${stem}_S2.png`, r.s2);
        await writePng(`${stem}_S3.png`, r.s3);
      }
      tf.dispose([img.tensor, r.s1, r.s2, r.s3]);
      bar.update(++done, `${path.basename(job.input)} ${img.width}×${img.height}${r.tiles > 1 ? ` in ${r.tiles} tiles` : ''}, ${(ms / 1000).toFixed(1)} s`);
    }
    bar.stop();
  } finally {
    model.dispose();
  }
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(`wrote ${jobs.length === 1 ? jobs[0]!.output : `${jobs.length} images to ${output}`} with ${dir}; peak memory: ${rss.toFixed(0)} MiB RSS${heapPeak ? `, wasm heap ${(heapPeak / 2 ** 20).toFixed(0)} MiB of 4096` : ''}`);
}

export function registerDeblur(program: Command): void {
  const cmd = program
    .command('deblur')
    .description('deblur an image (IN.png → OUT.png) or every image in a folder (IN/ → OUT/), keeping each image\'s size')
    .argument('<in>', 'a PNG/JPEG image, or a folder of them')
    .argument('<out>', 'the output PNG, or a folder for the outputs')
    .option('--scales', 'also write the ½ and ¼ outputs as <out>_S2.png, <out>_S3.png')
    .option('--force', 'overwrite existing outputs');
  addInferenceOptions(cmd).action(deblur);
}
