import type { Command } from 'commander';
import type { Dataset } from '../data/dataset';
import { GOPRO_BLURS, type GoProBlur, type Split } from '../data/gopro';
import { openDataset, parseLayout } from '../data/open-dataset';
import type { RealBlurVariant } from '../data/realblur';
import { UsageError } from '../errors';
import { positiveInt } from './options';

/** The options that say which pairs of a dataset a command reads (eval, compare). */
export interface DatasetCliOptions {
  data?: string;
  layout?: string;
  split: string;
  blur: string;
  realblur?: string;
  limit?: number;
  every?: number;
}

export function addDatasetOptions(cmd: Command): Command {
  return cmd
    .option('--layout <name>', 'gopro, realblur or pairs (default: detected)')
    .option('--split <name>', 'train or test (GoPro and RealBlur)', 'test')
    .option('--blur <kind>', 'GoPro only: blur or blur_gamma', 'blur')
    .option('--realblur <variant>', "RealBlur only: J (the camera's JPEGs, the usual benchmark) or R (raw) (default: J where its list is there)")
    .option('--limit <n>', 'only the first n pairs', positiveInt)
    .option('--every <k>', 'only every k-th pair (the 1st, (k+1)th, ...): a spread-out subset; with --limit, limits that', positiveInt);
}

/** What the baselines need to find the same dataset's training split. */
export function datasetSpec(ds: Dataset, o: Pick<DatasetCliOptions, 'split' | 'blur' | 'realblur'>): { root: string; layout: Dataset['layout']; split: Split; blur: GoProBlur; realBlurVariant?: RealBlurVariant } {
  return { root: ds.root, layout: ds.layout, split: o.split as Split, blur: o.blur as GoProBlur, ...(o.realblur ? { realBlurVariant: o.realblur as RealBlurVariant } : {}) };
}

/** Checks the options, opens `dir` with them (an option for another layout is refused, not ignored), and picks the pairs --every and --limit keep. */
export async function openDatasetOption(dir: string, o: DatasetCliOptions): Promise<{ ds: Dataset; pairs: Dataset['pairs'] }> {
  if (!(GOPRO_BLURS as readonly string[]).includes(o.blur)) throw new UsageError(`--blur must be ${GOPRO_BLURS.join(' or ')} (got ${o.blur})`);
  if (o.split !== 'train' && o.split !== 'test') throw new UsageError(`--split must be train or test (got ${o.split})`);
  if (o.realblur !== undefined && o.realblur !== 'J' && o.realblur !== 'R') throw new UsageError(`--realblur must be J or R (got ${o.realblur})`);
  const ds = await openDataset(dir, { split: o.split as Split, blur: o.blur as GoProBlur, ...(o.layout ? { layout: parseLayout(o.layout) } : {}), ...(o.realblur ? { realBlurVariant: o.realblur as RealBlurVariant } : {}) });
  if (o.realblur !== undefined && ds.layout !== 'realblur') throw new UsageError(`--realblur ${o.realblur} picks one of RealBlur's lists; ${dir} is in the ${ds.layout} layout`);
  const spaced = o.every !== undefined ? ds.pairs.filter((_, i) => i % o.every! === 0) : ds.pairs;
  return { ds, pairs: o.limit !== undefined ? spaced.slice(0, o.limit) : spaced };
}
