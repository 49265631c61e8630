import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors';
import { describeProblems, LAYOUTS, requireFolder, type Dataset, type Layout } from './dataset';
import { readGoPro, type GoProBlur, type Split } from './gopro';
import { readPairsFolder } from './pairs';
import { readRealBlur, type RealBlurVariant } from './realblur';

export interface OpenOptions {
  /** Default: detected from the folder's contents. */
  layout?: Layout;
  split?: Split;
  blur?: GoProBlur;
  realBlurVariant?: RealBlurVariant;
  /** Refuse a dataset with any problem instead of using the good pairs (default false). */
  strict?: boolean;
}

/** Which layout a folder is in, from what it contains; undefined when it matches none. */
export function detectLayout(dir: string): Layout | undefined {
  const names = fs.readdirSync(dir);
  if (names.some((n) => /^RealBlur_[JR]_(train|test)_list\.txt$/.test(n))) return 'realblur';
  const isDir = (n: string): boolean => names.includes(n) && fs.statSync(path.join(dir, n)).isDirectory();
  if (isDir('blur') && isDir('sharp')) return 'pairs';
  if (isDir('train') || isDir('test')) return 'gopro';
  return undefined;
}

export function parseLayout(value: string): Layout {
  if (!(LAYOUTS as readonly string[]).includes(value)) throw new UsageError(`unknown layout "${value}" (use ${LAYOUTS.join(', ')})`);
  return value as Layout;
}

/**
 * Opens a dataset in any supported layout. Problems (unreadable files, missing partners, size
 * mismatches) come back in `problems` for the caller to report; with `strict` they are an error.
 * No usable pair at all is always an error.
 */
export async function openDataset(dir: string, o: OpenOptions = {}): Promise<Dataset> {
  requireFolder(dir, 'dataset');
  const layout = o.layout ?? detectLayout(dir);
  if (!layout) {
    throw new UsageError(`${dir}: cannot tell the dataset layout (expected GoPro train/ or test/ folders, RealBlur_*_list.txt files, or blur/ + sharp/ folders; or pass --layout)`);
  }
  const split = o.split ?? 'test';
  const ds =
    layout === 'gopro' ? await readGoPro(dir, { split, blur: o.blur ?? 'blur' })
    : layout === 'realblur' ? await readRealBlur(dir, { split, ...(o.realBlurVariant ? { variant: o.realBlurVariant } : {}) })
    : await readPairsFolder(dir);
  if (ds.pairs.length === 0) {
    throw new UsageError(`${dir}: no usable image pairs in the ${ds.description}${ds.problems.length ? ` (${describeProblems(ds.problems, 3)})` : ''}`);
  }
  if (o.strict && ds.problems.length) throw new UsageError(`${dir}: ${describeProblems(ds.problems)}`);
  return ds;
}
