import * as fs from 'node:fs';
import * as path from 'node:path';
import { writePng } from '../../src/data/image';
import { createRaster } from '../../src/data/raster';
import { seeded } from '../helpers';

/** Writes a w × h PNG of seeded colours (a different picture per seed). */
export async function fixtureImage(file: string, width: number, height: number, seed: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await writePng(file, createRaster(width, height, seeded(width * height * 3, seed).map((v) => (v + 1) / 2)));
}

/**
 * A GoPro tree laid out like GOPRO_Large, with the kinds of damage a reader must report:
 * a sharp frame without its blurred partner, a pair of different sizes, a corrupt PNG, and a
 * sequence without blur_gamma/.
 */
export async function goproFixture(root: string): Promise<void> {
  let seed = 1;
  for (const [split, seq, frames] of [['train', 'GOPR0372_07_00', ['000047.png', '000048.png', '000049.png']], ['test', 'GOPR0384_11_00', ['000001.png', '000002.png']]] as const) {
    for (const f of frames) {
      for (const kind of ['blur', 'blur_gamma', 'sharp']) await fixtureImage(path.join(root, split, seq, kind, f), 40, 24, seed++);
    }
  }
  const bad = path.join(root, 'train', 'GOPR0868_11_01');
  await fixtureImage(path.join(bad, 'sharp', '000001.png'), 40, 24, 90); // no blurred partner
  await fixtureImage(path.join(bad, 'sharp', '000002.png'), 40, 24, 91);
  await fixtureImage(path.join(bad, 'blur', '000002.png'), 40, 20, 92); // size differs
  await fixtureImage(path.join(bad, 'sharp', '000003.png'), 40, 24, 93);
  fs.writeFileSync(path.join(bad, 'blur', '000003.png'), Buffer.from('\x89PNG\r\n\x1a\nnot really a png'));
  await fixtureImage(path.join(bad, 'blur', '000004.png'), 40, 24, 94); // no sharp partner
  fs.writeFileSync(path.join(bad, 'blur', 'Thumbs.db'), 'not an image'); // ignored: not an image name
}

/**
 * A RealBlur tree: list files exactly like the real ones (gt first, blur second, space separated,
 * a trailing space on every line, no newline after the last), the real "itensity" folder name.
 */
export async function realBlurFixture(root: string): Promise<void> {
  const base = 'RealBlur-J_ECC_IMCORR_centroid_itensity_ref';
  const lines: string[] = [];
  let seed = 200;
  for (const [scene, k] of [['scene230', 7], ['scene230', 8], ['scene231', 1]] as const) {
    const gt = `${base}/${scene}/gt/gt_${k}.png`;
    const blur = `${base}/${scene}/blur/blur_${k}.png`;
    await fixtureImage(path.join(root, gt), 32, 28, seed++);
    await fixtureImage(path.join(root, blur), 32, 28, seed++);
    lines.push(`${gt} ${blur} `);
  }
  lines.push(`${base}/scene232/gt/gt_1.png ${base}/scene232/blur/blur_1.png `); // files missing
  fs.writeFileSync(path.join(root, 'RealBlur_J_test_list.txt'), lines.join('\n'));
}

/**
 * GOPRO_Large and RealBlur (J and R) trees with exactly the downloaded names, made from the
 * sample's pairs: `GOPRO_Large/{train,test}/GOPRxxxx_xx_xx/{blur,blur_gamma,sharp}/NNNNNN.png`, and
 * `RealBlur_{J,R}_{train,test}_list.txt` naming `RealBlur-J_ECC_IMCORR_centroid_itensity_ref/…` and
 * `RealBlur-R_BM3D_ECC_IMCORR_centroid_itensity_ref/…`. R's blurred images are the sample's
 * blur_gamma/ (J's its blur/), so a score tells which list was read. `perSplit` pairs per split.
 */
export function realLayoutTrees(sample: string, root: string, perSplit: number): { gopro: string; realblur: string } {
  const gopro = path.join(root, 'GOPRO_Large');
  const realblur = path.join(root, 'RealBlur');
  const seqs = ['GOPR0372_07_00', 'GOPR0384_11_00', 'GOPR0868_11_01', 'GOPR0881_11_01'];
  const lists: Record<string, string[]> = {};
  for (const split of ['train', 'test'] as const) {
    const frames = fs.readdirSync(path.join(sample, split)).sort().flatMap((seq) => fs.readdirSync(path.join(sample, split, seq, 'sharp')).sort().map((f) => ({ seq, f }))).slice(0, perSplit);
    frames.forEach(({ seq, f }, i) => {
      const goproSeq = seqs[i % seqs.length]!;
      const frame = String(i + 1).padStart(6, '0') + '.png';
      for (const kind of ['blur', 'blur_gamma', 'sharp']) {
        fs.mkdirSync(path.join(gopro, split, goproSeq, kind), { recursive: true });
        fs.copyFileSync(path.join(sample, split, seq, kind, f), path.join(gopro, split, goproSeq, kind, frame));
      }
      for (const [variant, base, blurKind] of [['J', 'RealBlur-J_ECC_IMCORR_centroid_itensity_ref', 'blur'], ['R', 'RealBlur-R_BM3D_ECC_IMCORR_centroid_itensity_ref', 'blur_gamma']] as const) {
        const scene = `scene${String(230 + Math.floor(i / 2)).padStart(3, '0')}`;
        const gt = `${base}/${scene}/gt/gt_${(i % 2) + 1}.png`;
        const blur = `${base}/${scene}/blur/blur_${(i % 2) + 1}.png`;
        for (const [rel, kind] of [[gt, 'sharp'], [blur, blurKind]] as const) {
          fs.mkdirSync(path.dirname(path.join(realblur, rel)), { recursive: true });
          fs.copyFileSync(path.join(sample, split, seq, kind, f), path.join(realblur, rel));
        }
        (lists[`RealBlur_${variant}_${split}_list.txt`] ??= []).push(`${gt} ${blur} `);
      }
    });
  }
  for (const [name, lines] of Object.entries(lists)) fs.writeFileSync(path.join(realblur, name), lines.join('\n'));
  return { gopro, realblur };
}
