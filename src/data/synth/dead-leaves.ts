/**
 * Dead-leaves scenes: opaque disks of power-law radii dropped on top of one another until they
 * cover the plane (Lee, Mumford & Huang 2001). Their statistics are those of natural images
 * (scale invariance, a 1/f² power spectrum, occlusion edges at every scale), and any number of
 * them can be drawn, so a network trained on a few dozen photos also sees edges and contrasts that
 * no photo of its training set holds (Achddou, Gousseau & Ladjal 2021 train restoration networks
 * on such images). Colours come from a palette (the training photos' own pixels), so the scenes
 * keep the photos' colour statistics and nothing else of them.
 */
import { Rng } from '../../random';

/** One disk: centre and radius in pixels, colour in 0–255 at its centre, and a linear shading across it. */
export interface Disk {
  cx: number;
  cy: number;
  r: number;
  rgb: readonly [number, number, number];
  /** Change of each channel per radius along x and y (a disk lit from one side, not a flat cut-out). */
  shade: readonly [number, number];
}

export interface DeadLeavesOptions {
  width: number;
  height: number;
  seed: string | number;
  /** RGB triplets, 0–255, to draw the disks' colours from. */
  palette: Uint8Array;
  /** Smallest and largest radius in pixels. */
  rMin?: number;
  rMax?: number;
  /** Exponent of the radius density p(r) ∝ r^−α; 3 gives scale invariance. */
  alpha?: number;
  /** Stop once no pixel lets more than this share of the disks behind it show through. */
  transmittanceLeft?: number;
}

/** Defaults for a 1280-pixel scene: the smallest disks about one pixel across, the largest a third of the frame. */
export const DEAD_LEAVES_DEFAULTS = { rMin: 1, rMax: 400, alpha: 3, transmittanceLeft: 1 / 1024 } as const;

/** A radius from p(r) ∝ r^−α on [rMin, rMax], by inverting its distribution function. */
export function powerLawRadius(u: number, rMin: number, rMax: number, alpha: number): number {
  const k = alpha - 1;
  const lo = rMin ** -k;
  const hi = rMax ** -k;
  return (lo - u * (lo - hi)) ** (-1 / k);
}

/**
 * Renders disks given front to back, each over the pixels the disks in front of it leave
 * uncovered. A pixel's coverage by a disk is its area inside the disk, approximated from the
 * distance of its centre to the circle (exact for a straight edge), so edges are antialiased as a
 * lens and sensor would leave them, not stair-stepped. Returns RGB in 0–255 and the transmittance
 * each pixel has left (1 where no disk reached it).
 */
export function renderDisks(disks: Iterable<Disk>, width: number, height: number, transmittanceLeft = 0): { rgb: Float32Array; transmittance: Float32Array } {
  const rgb = new Float32Array(width * height * 3);
  const transmittance = new Float32Array(width * height).fill(1);
  let open = width * height; // pixels still letting more than transmittanceLeft through
  for (const d of disks) {
    const x0 = Math.max(0, Math.floor(d.cx - d.r - 1));
    const x1 = Math.min(width - 1, Math.ceil(d.cx + d.r + 1));
    const y0 = Math.max(0, Math.floor(d.cy - d.r - 1));
    const y1 = Math.min(height - 1, Math.ceil(d.cy + d.r + 1));
    for (let y = y0; y <= y1; y++) {
      const dy = y + 0.5 - d.cy;
      for (let x = x0; x <= x1; x++) {
        const p = y * width + x;
        const t = transmittance[p]!;
        if (t <= transmittanceLeft) continue;
        const dx = x + 0.5 - d.cx;
        const coverage = Math.min(1, Math.max(0, d.r - Math.hypot(dx, dy) + 0.5));
        if (coverage === 0) continue;
        const w = t * coverage;
        const sx = (dx / d.r) * d.shade[0] + (dy / d.r) * d.shade[1];
        for (let c = 0; c < 3; c++) rgb[p * 3 + c] += w * (d.rgb[c]! + sx);
        transmittance[p] = t - w;
        if (t - w <= transmittanceLeft) open--;
      }
    }
    if (open === 0) break;
  }
  return { rgb, transmittance };
}

/** The disks of one scene, front to back, without end (the renderer stops drawing them). */
export function* deadLeavesDisks(o: DeadLeavesOptions): Generator<Disk> {
  const { rMin, rMax, alpha } = { ...DEAD_LEAVES_DEFAULTS, ...o };
  const colours = o.palette.length / 3;
  if (colours < 1 || !Number.isInteger(colours)) throw new Error(`the palette holds ${o.palette.length} numbers, not whole RGB triplets`);
  const rng = Rng.seeded('dead-leaves', o.seed);
  for (;;) {
    const r = powerLawRadius(rng.uniform(), rMin, rMax, alpha);
    const k = rng.int(0, colours - 1) * 3;
    // Shading up to about a sixth of the range across a disk: smooth gradients inside objects.
    const shade: [number, number] = [rng.normal() * 12, rng.normal() * 12];
    yield { cx: rng.uniform(0, o.width), cy: rng.uniform(0, o.height), r, rgb: [o.palette[k]!, o.palette[k + 1]!, o.palette[k + 2]!], shade };
  }
}

/** A dead-leaves scene as 8-bit RGB, rows top to bottom; the same seed and palette give the same scene. */
export function deadLeaves(o: DeadLeavesOptions): Uint8Array {
  const { transmittanceLeft } = { ...DEAD_LEAVES_DEFAULTS, ...o };
  const { rgb, transmittance } = renderDisks(deadLeavesDisks(o), o.width, o.height, transmittanceLeft);
  const out = new Uint8Array(rgb.length);
  for (let p = 0; p < transmittance.length; p++) {
    // What the disks left uncovered (at most transmittanceLeft of a pixel) takes the pixel's own colour.
    const scale = 1 / (1 - transmittance[p]!);
    for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.min(255, Math.max(0, Math.round(rgb[p * 3 + c]! * scale)));
  }
  return out;
}
