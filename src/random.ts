import seedrandom from 'seedrandom';

/** Alea's four numbers; plain JSON, so a checkpoint can store it. */
export interface RngState {
  c: number;
  s0: number;
  s1: number;
  s2: number;
}

/**
 * A seeded random stream (seedrandom's Alea), so that every random choice in the data side (crops,
 * flips, camera paths, blur kernels) is reproducible and its state can be saved with a checkpoint.
 * Seeds are keys joined with ':', so independent streams derive from one user seed by name:
 * `Rng.seeded(seed, 'batch', 17)`.
 */
export class Rng {
  private constructor(private readonly prng: seedrandom.prng) {}

  static seeded(...keys: Array<string | number>): Rng {
    return new Rng(seedrandom.alea(keys.join(':'), { state: true }));
  }

  static fromState(state: RngState): Rng {
    return new Rng(seedrandom.alea('', { state: { ...state } }));
  }

  state(): RngState {
    return { ...(this.prng.state() as RngState) };
  }

  /** Uniform in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.prng.double();
  }

  /** Uniform integer in [lo, hi], both ends included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.prng.double() * (hi - lo + 1));
  }

  /** Standard normal (Box–Muller; the second value is dropped so `state()` captures everything). */
  normal(): number {
    const u = 1 - this.prng.double(); // (0, 1]: log(u) is finite
    const v = this.prng.double();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  bernoulli(p: number): boolean {
    return this.prng.double() < p;
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}
