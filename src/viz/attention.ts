import * as tf from '@tensorflow/tfjs';
import { heatmap, barChart, lineChart, type ChartOptions } from './plots';
import type { Bundle } from './display';
import { spread } from '../data/synth/statistics';
import type { Raster } from '../data/raster';
import { probeOver, type Probe } from '../model/probes';
import type { Progress } from '../progress';

/**
 * DFFM's softmax weights, summarised: for each decoder level, how much of each channel's fused
 * feature comes from encoder scale E1 (full), E2 (½) and E3 (¼). The weights of one channel
 * sum to 1 over the three scales; a uniform mix would be ⅓ each.
 */
export interface DffmShares {
  module: string;
  level: number;
  /** Mean over images and channels, [E1, E2, E3]. */
  mean: [number, number, number];
  /** Per image (mean over channels), [N][3]. */
  perImage: number[][];
  /** Per channel (mean over images), [C][3]. */
  perChannel: number[][];
}

export const SCALE_LABELS = ['E1 (full)', 'E2 (½)', 'E3 (¼)'] as const;

/** Shares from one probe entry, weights [N, C, 3]. */
export async function dffmShares(d: { module: string; level: number; weights: tf.Tensor3D }): Promise<DffmShares> {
  const [n, c, k] = d.weights.shape;
  if (k !== 3) throw new Error(`dffmShares: expected weights [N, C, 3], got [${d.weights.shape}]`);
  const v = await d.weights.data();
  const perImage = Array.from({ length: n }, () => [0, 0, 0]);
  const perChannel = Array.from({ length: c }, () => [0, 0, 0]);
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++)
      for (let s = 0; s < 3; s++) {
        const a = v[(i * c + ch) * 3 + s]!;
        perImage[i]![s]! += a / c;
        perChannel[ch]![s]! += a / n;
      }
  const mean = [0, 1, 2].map((s) => perImage.reduce((acc, r) => acc + r[s]!, 0) / n) as [number, number, number];
  return { module: d.module, level: d.level, mean, perImage, perChannel };
}

/**
 * DFFM shares of every decoder level over many images (same size, sides divisible by the probe's
 * multiple), probed `batch` at a time so memory stays bounded; the weights of all images are kept
 * per level and summarised together, as one probe over all of them would.
 */
export async function dffmSharesOver(probe: Probe, images: readonly Raster[], o: { batch?: number; progress?: Progress } = {}): Promise<DffmShares[]> {
  const shares = await probeOver(probe, images, (r) => r.dffm.map((d) => ({ key: String(d.level), about: { module: d.module, level: d.level }, value: d.weights })), (about, weights) => dffmShares({ ...about, weights }), o);
  return shares.sort((x, y) => x.level - y.level);
}

/** Grouped bars: for each decoder level, its mean share of E1, E2, E3 (⅓ each = no preference); error bars: s.d. over images. */
export function dffmShareBars(shares: readonly DffmShares[], o: ChartOptions = {}): Bundle {
  const x = shares.map((s) => `decoder level ${s.level} (${s.module})`);
  return barChart(
    SCALE_LABELS.map((name, k) => ({ name, x, y: shares.map((s) => s.mean[k]!), error: shares.map((s) => spread(s.perImage.map((r) => r[k]!)).std) })),
    { yTitle: 'softmax share', ...o, layout: { shapes: [{ type: 'line', xref: 'paper', x0: 0, x1: 1, y0: 1 / 3, y1: 1 / 3, line: { dash: 'dot', color: '#888' } }], ...o.layout } },
  );
}

/** Channels × scales heatmap of one level's weights (mean over images), channels sorted by E1 share. */
export async function dffmChannelHeatmap(s: DffmShares, o: ChartOptions = {}): Promise<Bundle> {
  const order = s.perChannel.map((r, i) => [r[0]!, i] as const).sort((a, b) => b[0] - a[0]);
  const rows = order.map(([, i]) => s.perChannel[i]!);
  return heatmap(rows, {
    x: [...SCALE_LABELS],
    y: order.map(([, i]) => `ch ${i}`),
    xTitle: 'encoder scale',
    yTitle: 'channel (sorted by E1 share)',
    height: Math.max(300, 14 * rows.length + 80),
    labelEveryRow: true,
    ...o,
  });
}

/** Shares against a swept quantity (e.g. blur extent): one line per scale for each level. */
export function dffmSharesAgainst(x: readonly number[], sharesPerX: readonly DffmShares[][], level: number, o: ChartOptions = {}): Bundle {
  const at = sharesPerX.map((list) => list.find((s) => s.level === level));
  if (at.some((s) => !s)) throw new Error(`dffmSharesAgainst: no DFFM at level ${level}`);
  return lineChart(
    SCALE_LABELS.map((name, k) => ({ name, x, y: at.map((s) => s!.mean[k]!), mode: 'lines+markers' as const })),
    { yTitle: 'softmax share', ...o },
  );
}
