import * as path from 'node:path';
import { UsageError } from '../errors';
import { checkPairs, matchByName, requireFolder, subfolders, type Candidate, type Dataset, type DatasetProblem } from './dataset';

export type Split = 'train' | 'test';
/** GoPro ships two blurred versions: `blur` (sRGB average of frames) and `blur_gamma` (linear-light average). */
export const GOPRO_BLURS = ['blur', 'blur_gamma'] as const;
export type GoProBlur = (typeof GOPRO_BLURS)[number];

export interface GoProOptions {
  split: Split;
  blur?: GoProBlur;
}

/**
 * GoPro (Nah et al. 2017) as distributed: `root/{train,test}/<sequence>/{blur,blur_gamma,sharp}/NNNNNN.png`,
 * pairs matched by file name within a sequence. Also reads anything synthesised in this layout
 * (`deblur-lab synth`, `data/sample/`).
 */
export async function readGoPro(root: string, o: GoProOptions): Promise<Dataset> {
  const blur = o.blur ?? 'blur';
  requireFolder(root, 'GoPro root');
  const splitDir = path.join(root, o.split);
  requireFolder(splitDir, `GoPro ${o.split} split: expected ${root}/{train,test}/<sequence>/{blur,blur_gamma,sharp}/`);
  const problems: DatasetProblem[] = [];
  const candidates: Candidate[] = [];
  const sequences = subfolders(splitDir);
  if (sequences.length === 0) throw new UsageError(`${splitDir}: no sequence folders (expected <sequence>/{${blur},sharp}/)`);
  for (const seq of sequences) {
    const dir = path.join(splitDir, seq);
    const present = subfolders(dir);
    const missing = [blur, 'sharp'].filter((d) => !present.includes(d));
    if (missing.length) {
      problems.push({ file: dir, problem: `no ${missing.map((m) => `${m}/`).join(' or ')} folder` });
      continue;
    }
    candidates.push(...matchByName(`${seq}/`, path.join(dir, blur), path.join(dir, 'sharp'), problems));
  }
  const pairs = await checkPairs(candidates, problems);
  return { layout: 'gopro', root, description: `GoPro ${o.split} split, ${blur}/ (${sequences.length} sequences)`, pairs, problems };
}
