import type { EvalReport } from '../eval/evaluate';

/** What `deblur-lab eval --json` prints: the report, with the dataset and the weights it scored. */
export interface RunEvaluation extends EvalReport {
  dataset: { root: string; description: string };
  weights: string;
}

/** Per-image PSNR gain (output − input, dB), keyed by image id. */
export function psnrGains(r: EvalReport): Map<string, number> {
  return new Map(r.images.map((i) => [i.id, i.psnr.output - i.psnr.input]));
}

/** Per-image SSIM gain; images too small for SSIM are left out. */
export function ssimGains(r: EvalReport): Map<string, number> {
  const out = new Map<string, number>();
  for (const i of r.images) if (i.ssim.input !== null && i.ssim.output !== null) out.set(i.id, i.ssim.output - i.ssim.input);
  return out;
}

/** The two runs whose mean PSNR gains are closest (the pair most in need of a second seed). */
export function closestPair(runs: ReadonlyArray<{ name: string; report: EvalReport }>): { names: [string, string]; difference: number } {
  if (runs.length < 2) throw new Error('closestPair: needs at least two runs');
  let best: { names: [string, string]; difference: number } | undefined;
  for (let i = 0; i < runs.length; i++) {
    for (let j = i + 1; j < runs.length; j++) {
      const d = Math.abs(runs[i]!.report.gain.psnr - runs[j]!.report.gain.psnr);
      if (!best || d < best.difference) best = { names: [runs[i]!.name, runs[j]!.name], difference: d };
    }
  }
  return best!;
}
