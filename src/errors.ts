/**
 * A mistake in what the user asked for (a bad option, a missing file, an unknown variant).
 * The CLI prints its message as one line and exits 2, without a stack trace; any other error is
 * a bug and keeps its stack.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
