/**
 * Learning-rate schedules, as a function of the optimiser step (not the epoch), so a resumed run
 * needs only the step to continue exactly.
 *
 * - `cosine`: the paper's, from `initial` (1e-4) down to `final` (1e-6) over `total` steps
 *   (SGDR without restarts: final + (initial − final)·(1 + cos(π·t/total))/2), then `final`.
 * - `step`: MIMO-UNet's, `initial` multiplied by `factor` (½) every `every` steps.
 * - `constant`: for short experiments and tests.
 *
 * Any of them may start with a linear warm-up: over the first `warmup` steps the rate is the
 * schedule's times (step + 1) / warmup, so Adam's first, poorly estimated moments take small steps.
 */
export type Schedule = (
  | { kind: 'cosine'; initial: number; final: number; total: number }
  | { kind: 'step'; initial: number; every: number; factor: number }
  | { kind: 'constant'; initial: number }
) & { warmup?: number };

export const SCHEDULE_KINDS = ['cosine', 'step', 'constant'] as const;

export function validateSchedule(s: Schedule): void {
  const positive = (name: string, v: number): void => {
    if (!(Number.isFinite(v) && v > 0)) throw new Error(`schedule: ${name} must be a positive number (got ${v})`);
  };
  positive('initial', s.initial);
  if (s.warmup !== undefined && !(Number.isInteger(s.warmup) && s.warmup >= 0)) throw new Error(`schedule: warmup must be a non-negative integer of steps (got ${s.warmup})`);
  if (s.kind === 'cosine') {
    positive('final', s.final);
    if (s.final > s.initial) throw new Error(`schedule: final ${s.final} exceeds initial ${s.initial}`);
    if (!Number.isInteger(s.total) || s.total < 1) throw new Error(`schedule: total must be a positive integer of steps (got ${s.total})`);
  } else if (s.kind === 'step') {
    if (!Number.isInteger(s.every) || s.every < 1) throw new Error(`schedule: every must be a positive integer of steps (got ${s.every})`);
    if (!(s.factor > 0 && s.factor <= 1)) throw new Error(`schedule: factor must be in (0, 1] (got ${s.factor})`);
  }
}

/** The learning rate for optimiser step `step` (0-based). */
export function learningRate(s: Schedule, step: number): number {
  if (!Number.isInteger(step) || step < 0) throw new Error(`learningRate: bad step ${step}`);
  const ramp = s.warmup && step < s.warmup ? (step + 1) / s.warmup : 1;
  return ramp * scheduled(s, step);
}

function scheduled(s: Schedule, step: number): number {
  switch (s.kind) {
    case 'constant':
      return s.initial;
    case 'step':
      return s.initial * Math.pow(s.factor, Math.floor(step / s.every));
    case 'cosine': {
      const t = Math.min(step, s.total);
      return s.final + ((s.initial - s.final) * (1 + Math.cos((Math.PI * t) / s.total))) / 2;
    }
  }
}

export function describeSchedule(s: Schedule): string {
  const warmup = s.warmup ? `, after a linear warm-up over ${s.warmup} steps` : '';
  switch (s.kind) {
    case 'constant':
      return `constant ${s.initial}${warmup}`;
    case 'step':
      return `${s.initial} × ${s.factor} every ${s.every} steps${warmup}`;
    case 'cosine':
      return `cosine ${s.initial} → ${s.final} over ${s.total} steps${warmup}`;
  }
}
