import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A mistake in what the user asked for (a bad option, a missing file, an unknown variant).
 * The CLI prints its message as one line and exits 2, without a stack trace; any other error is
 * a bug and keeps its stack.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The machine could not store the work (a full disk, a quota, a failing disk): not the user's
 * mistake nor a bug. The CLI prints its message as one line and exits 1, without a stack trace.
 */
export class WriteError extends Error {
  override readonly name = 'WriteError';
}

/** Names the file a failed write was for, where Node's error does not (writes through a descriptor carry no path). */
export function withPath(e: unknown, file: string): unknown {
  if (e && typeof e === 'object' && (e as NodeJS.ErrnoException).path === undefined) (e as NodeJS.ErrnoException).path = file;
  return e;
}

/** The errno codes that mean the machine could not store a write (not a bug, not the user's mistake). */
const WRITE_FAULTS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EFBIG']);

/** Whether `e` is a failed write for want of space or a failing disk. */
export function isWriteFault(e: unknown): e is NodeJS.ErrnoException {
  const err = e as NodeJS.ErrnoException;
  return !!err && typeof err.code === 'string' && WRITE_FAULTS.has(err.code);
}

/**
 * "no space left on the device, 12 MiB free there" (or the errno code, and nothing of the space
 * where statfs cannot tell). The space is that of the file system the failed write went to (its
 * path's nearest existing folder), else of `dir`.
 */
export function describeWriteFault(err: NodeJS.ErrnoException, dir: string): string {
  let free = '';
  try {
    let at = err.path ?? dir;
    while (!fs.existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
    const st = fs.statfsSync(at);
    free = `, ${((st.bavail * st.bsize) / 2 ** 20).toFixed(0)} MiB free there`;
  } catch {
    // statfs is unavailable on some file systems: say nothing of the space
  }
  return `${err.code === 'ENOSPC' ? 'no space left on the device' : err.code}${free}`;
}
