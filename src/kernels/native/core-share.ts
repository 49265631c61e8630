import * as fs from 'node:fs';
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';

/**
 * How many threads the native kernels should use while other processes keep cores busy.
 *
 * oneDNN splits each primitive's work evenly across its OpenMP threads, so a step runs at the pace
 * of its slowest thread: with one of two cores taken by another process (the long training run
 * beside a notebook), a `full` 4 × 128² step took 5.2 s on two threads and 2.8 s on one
 * (docs/PERFORMANCE.md, "Sharing the machine"). The kernels therefore leave a core to each other
 * process that keeps one busy, and take it back when it is free again.
 */

/** Cumulative CPU time of the whole machine (from /proc/stat, in clock ticks) and of this process. */
export interface CpuSample {
  /** Ticks all cores spent on anything but idling or waiting for I/O. */
  busyTicks: number;
  /** Ticks all cores spent in total. */
  totalTicks: number;
  /** This process's CPU time (user + system), in ms. */
  ownMs: number;
  /** Wall-clock time, in ms. */
  wallMs: number;
}

/**
 * Busy and total ticks from /proc/stat's first line ("cpu user nice system idle iowait irq softirq
 * steal ..."), or null when it is not in that form. Guest time is already counted in user and nice.
 */
export function parseProcStat(text: string): { busyTicks: number; totalTicks: number } | null {
  const line = text.split('\n', 1)[0] ?? '';
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== 'cpu' || fields.length < 5) return null;
  const ticks = fields.slice(1, 9).map(Number);
  if (ticks.some((t) => !Number.isFinite(t))) return null;
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busyTicks: total - idle, totalTicks: total };
}

/** A sample of now, or null where /proc/stat cannot be read (not Linux). */
export function sampleCpu(): CpuSample | null {
  let stat: ReturnType<typeof parseProcStat>;
  try {
    stat = parseProcStat(fs.readFileSync('/proc/stat', 'utf8'));
  } catch {
    return null;
  }
  if (stat === null) return null;
  const own = process.cpuUsage();
  return { ...stat, ownMs: (own.user + own.system) / 1000, wallMs: performance.now() };
}

/**
 * How many cores other processes kept busy between two samples: the machine's busy share of its
 * `cores`, less this process's own CPU time per wall-clock time. Never below 0.
 */
export function othersBusyCores(before: CpuSample, after: CpuSample, cores: number): number {
  const total = after.totalTicks - before.totalTicks;
  const wall = after.wallMs - before.wallMs;
  if (total <= 0 || wall <= 0) return 0;
  const machine = (cores * (after.busyTicks - before.busyTicks)) / total;
  const own = (after.ownMs - before.ownMs) / wall;
  return Math.max(0, machine - own);
}

/**
 * The thread count for `othersBusy` cores taken by others, from the `current` one: one core is
 * yielded per core the others keep busy, changed only when the others' load is 0.6 core or more
 * away from what is yielded now (so a load near a half core does not flip it at every check).
 * Between 1 and `max`.
 */
export function threadsFor(current: number, max: number, othersBusy: number): number {
  const yielded = max - current;
  if (Math.abs(othersBusy - yielded) < 0.6) return current;
  return Math.min(max, Math.max(1, max - Math.round(othersBusy)));
}

/** What the adapter steers: the addon's setThreads. */
export interface ThreadSetter {
  setThreads(n: number): void;
}

/** When and how the adapter samples: defaults are the kernels' own. */
export interface AdapterTiming {
  /** Cores of the machine. */
  cores?: number;
  sample?: () => CpuSample | null;
  /** The first check, this long after the adapter is made. */
  firstMs?: number;
  /** Every later check, this long after the one before. */
  periodMs?: number;
  /** The clock `tick` reads (ms), the one samples' wallMs comes from. */
  now?: () => number;
}

/**
 * Checks the machine's load at most every `periodMs` (the first time `firstMs` after it is made),
 * when `tick` is called, and sets the threads accordingly. `tick` costs one clock read between
 * checks, so the kernels call it on every call.
 */
export class ThreadAdapter {
  private last: CpuSample;
  private period: number;
  private readonly cores: number;
  private readonly sample: () => CpuSample | null;
  private readonly periodMs: number;
  private readonly now: () => number;
  private current: number;

  constructor(private readonly target: ThreadSetter, readonly max: number, timing: AdapterTiming = {}) {
    this.cores = timing.cores ?? os.cpus().length;
    this.sample = timing.sample ?? sampleCpu;
    this.periodMs = timing.periodMs ?? 2000;
    this.now = timing.now ?? (() => performance.now());
    const first = this.sample();
    if (first === null) throw new Error('no /proc/stat to measure the load from');
    this.last = first;
    this.period = timing.firstMs ?? 500;
    this.current = max;
  }

  /** The thread count set last (`max` until the load first asks for fewer). */
  get threads(): number {
    return this.current;
  }

  tick(): void {
    if (this.now() - this.last.wallMs < this.period) return;
    const now = this.sample();
    if (now === null) return;
    const next = threadsFor(this.current, this.max, othersBusyCores(this.last, now, this.cores));
    this.last = now;
    this.period = this.periodMs;
    if (next !== this.current) {
      this.target.setThreads(next);
      this.current = next;
    }
  }
}
