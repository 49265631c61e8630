import { parseBackendName, selectBackend, type BackendReport } from '../backend';
import { InvalidArgumentError } from 'commander';

/** commander argument parsers: a bad value becomes commander's one-line error, not a stack trace. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer.');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a non-negative integer.');
  return n;
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a non-negative number.');
  return n;
}

/** "HxW" (or "H×W") with both sides multiples of 4, since the network halves the size twice. */
export function imageSize(value: string): { height: number; width: number } {
  const m = /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/.exec(value);
  if (!m) throw new InvalidArgumentError('must look like 256x256 (height x width).');
  const height = Number(m[1]);
  const width = Number(m[2]);
  if (height < 4 || width < 4 || height % 4 !== 0 || width % 4 !== 0) {
    throw new InvalidArgumentError('height and width must be multiples of 4, at least 4 (the network halves the size twice).');
  }
  return { height, width };
}

/** Starts the backend a command's --backend option names (or $DEBLUR_BACKEND, or the best available). */
export function startBackendOption(value: string | undefined): Promise<BackendReport> {
  return selectBackend(value !== undefined ? { backend: parseBackendName(value, '--backend') } : {});
}

/** A wall-clock duration such as 150m, 2h, 1h30m, 90s or 45 (minutes), in seconds. */
export function duration(value: string): number {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 60;
  const m = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(v);
  if (!m || v === '' || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) throw new InvalidArgumentError('must be a duration such as 150m, 2h, 1h30m or 90s.');
  const seconds = Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  if (!(seconds > 0)) throw new InvalidArgumentError('must be longer than zero.');
  return seconds;
}

/** "a,b,c" → ['a', 'b', 'c'] (spaces around names dropped; empty names refused). */
export function commaList(value: string): string[] {
  const names = value.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new InvalidArgumentError('must be names separated by commas, e.g. gopro,defocus.');
  return names;
}
