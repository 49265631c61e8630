import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { describeProblems, type Dataset, type ImagePair } from '../data/dataset';
import { baselinesFor, type BaselineScores } from '../eval/baselines';
import { UsageError } from '../errors';
import { evaluate, SCALE_NAMES, type EvalReport, type Scores } from '../eval/evaluate';
import { addDatasetOptions, datasetSpec, openDatasetOption, type DatasetCliOptions } from './dataset-options';
import { defaultProtocol, realBlurUnavailable, SCORING_PROTOCOLS, type ScoringProtocol } from '../eval/realblur-protocol';
import { table } from './format';
import { DEFAULT_YARDSTICK, evaluateYardstick, readYardstick, YARDSTICK_COLUMNS, yardstickRows, yardstickSummaryLines, type YardstickReport } from '../eval/yardstick';
import { trainedOnOf } from '../train/provenance';
import { addInferenceOptions, prepareInference, tilingOf, type InferenceCliOptions } from './inference-options';
import { commaList } from './options';
import { progress } from './progress';

interface EvalCliOptions extends InferenceCliOptions, DatasetCliOptions {
  yardstick?: string | true;
  generators?: string[];
  trainedOn?: string[];
  protocol?: string;
  json?: boolean;
  scales?: boolean;
  baselines: boolean;
  save?: string;
}

const dB = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : String(x));
const unit = (x: number | null): string => (x === null ? '–' : x.toFixed(4));

function scoreCells(s: Scores): string[] {
  return [dB(s.psnr.input), dB(s.psnr.output), dB(s.psnr.output - s.psnr.input), unit(s.ssim.input), unit(s.ssim.output)];
}

/** A published network scored on the same images (e.g. MAXIM in the demo). */
export interface PeerReport {
  label: string;
  report: EvalReport;
}

/** The eval table: one row per image, then the mean; peers' and baselines' means when scored; per-scale means when measured. */
export function describeEval(r: EvalReport, title: string, baselines?: BaselineScores, peers: readonly PeerReport[] = []): string {
  const head = ['image', 'size', 'PSNR in', 'PSNR out', 'gain', 'SSIM in', 'SSIM out'];
  const rows = r.images.map((i) => [i.id, `${i.width}×${i.height}`, ...scoreCells(i)]);
  rows.push([`mean of ${r.n}`, '', ...scoreCells(r)]);
  const parts = [title, table(head, rows)];
  const scored = baselines && 'reports' in baselines ? Object.values(baselines.reports) : [];
  if (scored.length || peers.length) {
    parts.push(
      scored.length
        ? '\nother methods on the same images (baselines tuned on the training split; the Wiener filter is an oracle: it fits its kernel to each sharp image):'
        : '\nother methods on the same images:',
    );
    const others = [...peers.map((p) => [p.label, String(p.report.n), ...scoreCells(p.report)]), ...scored.map((b) => [b.label, String(b.n), ...scoreCells(b)])];
    parts.push(table(['method', 'images', 'PSNR in', 'PSNR out', 'gain', 'SSIM in', 'SSIM out'], [['this network', String(r.n), ...scoreCells(r)], ...others]));
  }
  if (baselines && 'reports' in baselines) {
    parts.push(`the network's margin over the unsharp mask: ${dB(r.psnr.output - baselines.reports.usm.psnr.output)} dB PSNR`);
  } else if (baselines && 'skipped' in baselines) {
    parts.push(`\nbaselines not scored: ${baselines.skipped}`);
  }
  if (r.scales) {
    parts.push('\nper output scale (S3 ¼, S2 ½, S1 full size; inputs and targets box-downscaled like the network\'s):');
    parts.push(table(['scale', 'PSNR in', 'PSNR out', 'gain', 'SSIM in', 'SSIM out'], SCALE_NAMES.map((k) => [k, ...scoreCells(r.scales![k])])));
  }
  parts.push(`\nscored on ${r.convention}; ${r.seconds.toFixed(1)} s`);
  return parts.join('\n');
}

/** The yardstick's table: one row per generator, then the held-out and no-blur lines. */
export function describeYardstick(r: YardstickReport, weights: string): string {
  return [
    `the generalisation yardstick in ${r.root}, weights ${weights} (trained with: ${r.trainedOn ? r.trainedOn.join(', ') : 'unknown; say with --trained-on'}):`,
    table([...YARDSTICK_COLUMNS], yardstickRows(r)),
    '',
    ...yardstickSummaryLines(r),
    `\nper generator: mean gain over its images; the unsharp mask is tuned on the generator's own tuning split; each generator counts once in the means; ${r.seconds.toFixed(0)} s`,
  ].join('\n');
}

async function yardstickCommand(o: EvalCliOptions): Promise<void> {
  const root = o.yardstick === true || o.yardstick === undefined ? DEFAULT_YARDSTICK : o.yardstick;
  readYardstick(root); // a missing yardstick is reported before the weights load
  const { model, dir } = await prepareInference(o);
  try {
    const trainedOn = o.trainedOn ?? trainedOnOf(dir);
    let bar: ReturnType<typeof progress> | undefined;
    let label = '';
    const report = await evaluateYardstick(model, root, {
      trainedOn,
      ...(o.generators ? { only: o.generators } : {}),
      ...(o.every ? { every: o.every } : {}),
      baselines: o.baselines,
      cacheDir: BASELINE_CACHE,
      onProgress: (what, done, total) => {
        if (what !== label) {
          bar?.stop();
          bar = progress(what, total);
          label = what;
        }
        bar!.update(done);
      },
    });
    bar?.stop();
    if (o.json) console.log(JSON.stringify({ weights: dir, ...report }, null, 2));
    else console.log(describeYardstick(report, dir));
  } finally {
    model.dispose();
  }
}

async function evalCommand(o: EvalCliOptions): Promise<void> {
  if (o.yardstick !== undefined) {
    if (o.data !== undefined) throw new UsageError('--data and --yardstick score different things: give one');
    for (const [flag, given] of [['--save', o.save], ['--scales', o.scales], ['--protocol', o.protocol], ['--limit', o.limit]] as const) {
      if (given !== undefined) throw new UsageError(`${flag} is for --data; --yardstick scores whole images of every generator`);
    }
    return yardstickCommand(o);
  }
  if (o.data === undefined) throw new UsageError('--data <dir> (a dataset) or --yardstick [dir] (the generalisation yardstick) is required');
  if (o.generators !== undefined || o.trainedOn !== undefined) throw new UsageError('--generators and --trained-on go with --yardstick');
  const tiling = tilingOf(o);
  if (o.save && fs.existsSync(o.save) && fs.readdirSync(o.save).length > 0) throw new UsageError(`--save ${o.save} exists and is not empty: choose a new folder (nothing was written)`);
  if (o.protocol !== undefined && !(SCORING_PROTOCOLS as readonly string[]).includes(o.protocol)) throw new UsageError(`--protocol must be ${SCORING_PROTOCOLS.join(' or ')} (got ${o.protocol})`);
  const { ds, pairs } = await openDatasetOption(o.data, o);
  // RealBlur's pairs come from two cameras: scored as its authors score them unless asked otherwise.
  const protocol = (o.protocol ?? defaultProtocol(ds.layout)) as ScoringProtocol;
  if (protocol === 'realblur') {
    if (o.scales) throw new UsageError("--scales scores whole images; RealBlur's protocol (--protocol realblur, the default for RealBlur) scores the full-size output only: add --protocol whole for per-scale scores");
    const missing = realBlurUnavailable();
    if (missing) throw new UsageError(`scoring by RealBlur's protocol: ${missing} (or score whole images with --protocol whole)`);
  }
  if (ds.problems.length) process.stderr.write(`warning: ${describeProblems(ds.problems, 3)}; scoring the ${ds.pairs.length} good pairs\n`);
  const { model, dir } = await prepareInference(o);
  try {
    const bar = progress('eval', pairs.length);
    const report = await evaluate(model, pairs, { scales: o.scales ?? false, protocol, tiling, ...(o.save ? { saveTo: o.save } : {}), onImage: (done, _n, r) => bar.update(done, `${r.id}: ${dB(r.psnr.input)} → ${dB(r.psnr.output)} dB`) });
    bar.stop();
    const unaligned = report.images.filter((i) => i.alignment && !(i.alignment.input.converged && i.alignment.output.converged));
    if (unaligned.length) process.stderr.write(`warning: ECC did not converge for ${unaligned.length} of ${report.n} images (${unaligned.slice(0, 3).map((i) => i.id).join(', ')}${unaligned.length > 3 ? ', …' : ''}): scored without alignment there, as "converged": false in --json says\n`);
    const baselines = o.baselines ? await scoreBaselines(ds, o, pairs, protocol) : undefined;
    const json = {
      dataset: { root: ds.root, description: ds.description },
      weights: dir,
      ...report,
      ...(baselines ? ('reports' in baselines ? { baselines: baselines.reports, baselinesTuned: baselines.tuned } : { baselines: null, baselinesSkipped: baselines.skipped }) : {}),
    };
    if (o.json) console.log(JSON.stringify(json, null, 2));
    else console.log(describeEval(report, `${ds.description} in ${ds.root}, weights ${dir}:`, baselines));
  } finally {
    model.dispose();
  }
}

/** Where tuned baseline parameters are cached (keyed by the training pairs they were tuned on). */
export const BASELINE_CACHE = path.join('build', 'cache');

/** The baselines on the pairs being scored, with a progress line while they are tuned and run. */
export async function scoreBaselines(ds: Dataset, o: Pick<DatasetCliOptions, 'split' | 'blur' | 'realblur'>, pairs: readonly ImagePair[], protocol: ScoringProtocol = 'whole'): Promise<BaselineScores> {
  let bar: ReturnType<typeof progress> | undefined;
  let label = '';
  const r = await baselinesFor(datasetSpec(ds, o), pairs, BASELINE_CACHE, (what, done, total) => {
    if (what !== label) {
      bar?.stop();
      bar = progress(what, total);
      label = what;
    }
    bar!.update(done);
  }, protocol);
  bar?.stop();
  return r;
}

export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description('PSNR and SSIM of the blurred inputs and the restored outputs over a dataset, per image and mean')
    .option('--data <dir>', 'dataset folder: GoPro, RealBlur or blur/ + sharp/ layout')
    .option('--yardstick [dir]', `score on the generalisation yardstick instead (default ${DEFAULT_YARDSTICK}; npm run data:yardstick builds it): per blur generator, whether the network was trained with it, the tuned unsharp mask, the worst image`)
    .option('--generators <names>', 'with --yardstick: only these generators (comma-separated)', commaList)
    .option('--trained-on <names>', "with --yardstick: the generators the network was trained with, where its training record does not say (comma-separated)", commaList)
    .option('--protocol <name>', "whole (every pixel as it is) or realblur (each image aligned to the sharp one by ECC first, scored where they overlap: RealBlur's protocol; needs python3-opencv) (default: realblur for the RealBlur layout, else whole)")
    .option('--scales', 'also score the ½ and ¼ outputs S2, S3')
    .option('--save <dir>', 'also write each restored image there as a PNG')
    .option('--no-baselines', 'skip the classical baselines (unsharp mask and oracle Wiener, tuned on the training split; tuned once, then cached)')
    .option('--json', 'print the report as JSON: {n, psnr: {input, output}, ssim: {input, output}, gain, images, ...}');
  addInferenceOptions(addDatasetOptions(cmd)).action(evalCommand);
}
