import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors';
import { checkPairs, requireFolder, type Candidate, type Dataset, type DatasetProblem } from './dataset';
import type { Split } from './gopro';

/** RealBlur-J (camera JPEGs, the usual benchmark) or RealBlur-R (raw). */
export type RealBlurVariant = 'J' | 'R';

export interface RealBlurOptions {
  split: Split;
  variant?: RealBlurVariant;
}

export function realBlurListName(variant: RealBlurVariant, split: Split): string {
  return `RealBlur_${variant}_${split}_list.txt`;
}

/**
 * Parses a RealBlur list file: one `<gt path> <blur path>` per line, space separated, with the
 * trailing space and missing final newline the real files have. Paths are relative to `root`.
 */
export function parseRealBlurList(text: string, root: string, listFile: string, problems: DatasetProblem[]): Candidate[] {
  const out: Candidate[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const fields = line.trim().split(/\s+/).filter(Boolean);
    if (fields.length === 0) return;
    if (fields.length !== 2) {
      problems.push({ file: `${listFile}:${i + 1}`, problem: `expected "<gt path> <blur path>", got ${JSON.stringify(line)}` });
      return;
    }
    const [gt, blur] = fields as [string, string];
    out.push({ id: blur, sharp: path.join(root, gt), blur: path.join(root, blur) });
  });
  return out;
}

/**
 * RealBlur (Rim et al. 2020) as distributed: the list files `RealBlur_{J,R}_{train,test}_list.txt`
 * at `root`, naming `…/sceneN/gt/gt_K.png` and `…/sceneN/blur/blur_K.png` relative to it.
 */
export async function readRealBlur(root: string, o: RealBlurOptions): Promise<Dataset> {
  requireFolder(root, 'RealBlur root');
  const variants: RealBlurVariant[] = o.variant ? [o.variant] : ['J', 'R'];
  const found = variants.find((v) => fs.existsSync(path.join(root, realBlurListName(v, o.split))));
  if (!found) {
    throw new UsageError(`${root}: no ${variants.map((v) => realBlurListName(v, o.split)).join(' or ')} (RealBlur layout)`);
  }
  const listFile = path.join(root, realBlurListName(found, o.split));
  const problems: DatasetProblem[] = [];
  const candidates = parseRealBlurList(fs.readFileSync(listFile, 'utf8'), root, listFile, problems);
  const pairs = await checkPairs(candidates, problems);
  return { layout: 'realblur', root, description: `RealBlur-${found} ${o.split} split (${path.basename(listFile)})`, pairs, problems };
}
