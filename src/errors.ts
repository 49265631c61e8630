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
