import * as path from 'node:path';
import { checkPairs, matchByName, requireFolder, type Dataset, type DatasetProblem } from './dataset';

/** The plainest layout: `dir/blur/X.png` paired with `dir/sharp/X.png` by file name. */
export async function readPairsFolder(dir: string): Promise<Dataset> {
  requireFolder(dir, 'pairs root');
  requireFolder(path.join(dir, 'blur'), 'pairs layout: expected blur/ and sharp/ folders');
  requireFolder(path.join(dir, 'sharp'), 'pairs layout: expected blur/ and sharp/ folders');
  const problems: DatasetProblem[] = [];
  const candidates = matchByName('', path.join(dir, 'blur'), path.join(dir, 'sharp'), problems);
  const pairs = await checkPairs(candidates, problems);
  return { layout: 'pairs', root: dir, description: 'blur/ + sharp/ folder pair', pairs, problems };
}
