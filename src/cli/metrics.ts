import type { Command } from 'commander';
import { readRaster } from '../data/image';
import { UsageError } from '../errors';
import { psnr, ssim } from '../metrics';

interface MetricsOptions {
  json?: boolean;
}

/** JSON has no Infinity: identical images get `"psnr": null` and `"identical": true`. */
export function metricsJson(p: number, s: number): string {
  return JSON.stringify(Number.isFinite(p) ? { psnr: p, ssim: s } : { psnr: null, ssim: s, identical: true });
}

async function metrics(a: string, b: string, o: MetricsOptions): Promise<void> {
  const [ra, rb] = await Promise.all([readRaster(a), readRaster(b)]);
  const x = ra.raster;
  const y = rb.raster;
  if (x.width !== y.width || x.height !== y.height) {
    throw new UsageError(`${a} is ${x.width}×${x.height} but ${b} is ${y.width}×${y.height}: metrics need images of the same size`);
  }
  if (x.width < 11 || x.height < 11) throw new UsageError(`${a}: SSIM needs images of at least 11×11 (got ${x.width}×${x.height})`);
  const p = psnr(x, y);
  const s = ssim(x, y);
  if (o.json) {
    console.log(metricsJson(p, s));
    return;
  }
  for (const [file, r] of [[a, ra], [b, rb]] as const) {
    if (r.conversions.length) console.log(`${file}: ${r.conversions.join(', ')}`);
  }
  console.log(`PSNR ${Number.isFinite(p) ? `${p.toFixed(4)} dB` : '∞ (identical)'}   SSIM ${s.toFixed(6)}`);
}

export function registerMetrics(program: Command): void {
  program
    .command('metrics')
    .description('PSNR and SSIM of two same-sized images (RGB in [0, 1], scikit-image conventions, see docs/DATA.md)')
    .argument('<a>', 'first image (PNG or JPEG), e.g. the ground truth')
    .argument('<b>', 'second image, e.g. the restored one')
    .option('--json', 'print {"psnr": x, "ssim": y} (psnr null when the images are identical)')
    .action(metrics);
}
