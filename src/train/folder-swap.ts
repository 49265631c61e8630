import * as fs from 'node:fs';
import { withPath } from '../errors';

/**
 * Writes a folder whole or not at all: `fill` writes into a fresh temporary folder beside `dir`,
 * which then replaces `dir`. A failed fill (a full disk) removes the temporary folder, so it holds
 * no space, and the error names it; `dir` is left as it was.
 */
export async function replaceFolder(dir: string, tmp: string, fill: (tmp: string) => void | Promise<void>): Promise<string> {
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    fs.mkdirSync(tmp, { recursive: true });
    await fill(tmp);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw withPath(e, tmp);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return dir;
}
