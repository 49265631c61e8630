import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors';
import { readImageHeader } from './image';

export type Layout = 'gopro' | 'realblur' | 'pairs';
export const LAYOUTS: readonly Layout[] = ['gopro', 'realblur', 'pairs'];

export function isLayout(v: unknown): v is Layout {
  return typeof v === 'string' && (LAYOUTS as readonly string[]).includes(v);
}

/** One blurred image and its sharp ground truth, checked readable and of equal size. */
export interface ImagePair {
  /** Stable name within the dataset, e.g. `GOPR0384_11_00/000001.png`. */
  id: string;
  blur: string;
  sharp: string;
  width: number;
  height: number;
}

/** A file or pair the reader could not use, and why: reported, never silently dropped. */
export interface DatasetProblem {
  file: string;
  problem: string;
}

export interface Dataset {
  layout: Layout;
  root: string;
  /** What was read, e.g. "GoPro test split, blur_gamma/". */
  description: string;
  pairs: ImagePair[];
  problems: DatasetProblem[];
}

export interface Candidate {
  id: string;
  blur: string;
  sharp: string;
}

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

/** Image file names in a folder, sorted; [] when the folder is missing. */
export function imageFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((n) => isImageFile(n) && fs.statSync(path.join(dir, n)).isFile()).sort();
}

export function subfolders(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => fs.statSync(path.join(dir, n)).isDirectory()).sort();
}

/** Pairs up two folders' images by file name; a file on one side only is a problem. */
export function matchByName(idPrefix: string, blurDir: string, sharpDir: string, problems: DatasetProblem[]): Candidate[] {
  const blurs = new Set(imageFiles(blurDir));
  const sharps = imageFiles(sharpDir);
  const out: Candidate[] = [];
  for (const name of sharps) {
    if (blurs.has(name)) out.push({ id: `${idPrefix}${name}`, blur: path.join(blurDir, name), sharp: path.join(sharpDir, name) });
    else problems.push({ file: path.join(sharpDir, name), problem: `no blurred partner in ${blurDir}` });
    blurs.delete(name);
  }
  for (const name of blurs) problems.push({ file: path.join(blurDir, name), problem: `no sharp partner in ${sharpDir}` });
  return out;
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Reads both headers of every candidate pair (not the pixels): unreadable files and pairs whose
 * sizes differ become problems, the rest become pairs, in the candidates' order.
 */
export async function checkPairs(candidates: readonly Candidate[], problems: DatasetProblem[]): Promise<ImagePair[]> {
  const header = async (file: string): Promise<{ width: number; height: number } | string> => {
    try {
      return await readImageHeader(file);
    } catch (e) {
      if (e instanceof UsageError) return e.message.replace(`${file}: `, '');
      throw e;
    }
  };
  const checked = await mapLimited(candidates, 8, async (c) => ({ c, b: await header(c.blur), s: await header(c.sharp) }));
  const pairs: ImagePair[] = [];
  for (const { c, b, s } of checked) {
    if (typeof b === 'string') problems.push({ file: c.blur, problem: b });
    if (typeof s === 'string') problems.push({ file: c.sharp, problem: s });
    if (typeof b === 'string' || typeof s === 'string') continue;
    if (b.width !== s.width || b.height !== s.height) {
      problems.push({ file: c.blur, problem: `size ${b.width}×${b.height} differs from its sharp partner's ${s.width}×${s.height} (${c.sharp})` });
      continue;
    }
    pairs.push({ ...c, width: s.width, height: s.height });
  }
  return pairs;
}

export function requireFolder(dir: string, what: string): void {
  if (!fs.existsSync(dir)) throw new UsageError(`${dir}: no such folder (${what})`);
  if (!fs.statSync(dir).isDirectory()) throw new UsageError(`${dir}: not a folder (${what})`);
}

/** "3 problems: a.png: no sharp partner; …" for messages. */
export function describeProblems(problems: readonly DatasetProblem[], max = 5): string {
  const shown = problems.slice(0, max).map((p) => `${p.file}: ${p.problem}`);
  const more = problems.length > max ? `; and ${problems.length - max} more` : '';
  return `${problems.length} problem${problems.length === 1 ? '' : 's'}: ${shown.join('; ')}${more}`;
}

/** Hash of a dataset's pair ids, blurred-image paths and sizes: changes when the set of images does. */
export function fingerprintPairs(ds: Pick<Dataset, 'root' | 'pairs'>): string {
  const hash = createHash('sha256');
  for (const p of ds.pairs) hash.update(`${p.id} ${path.relative(ds.root, p.blur)} ${p.width}x${p.height}\n`);
  return hash.digest('hex').slice(0, 16);
}
