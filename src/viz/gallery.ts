import sharp from 'sharp';
import { encodePng } from '../data/image';
import { cropRaster, type Raster } from '../data/raster';
import { escapeHtml } from './display';
import { dataUrl, drawBox, enlarge, type Region } from './images';

/** Whole images are shown at most this wide (a frame's region is enlarged from full resolution): the report stays small. */
const SHOWN_WIDTH = 480;

async function shownUrl(r: Raster): Promise<string> {
  if (r.width <= SHOWN_WIDTH) return dataUrl(r);
  const png = await sharp(await encodePng(r)).resize({ width: SHOWN_WIDTH, kernel: 'lanczos3' }).png().toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/**
 * A comparison gallery as a paper prints it: one row per image (input, baselines, each network,
 * the sharp image), every image whole with the same region outlined and that region enlarged under
 * it, each with its score. A row always fits one line: its cells share the width, so at any page
 * width the images scale instead of wrapping. The page is self-contained (images inlined), sorts
 * its rows by a method's gain (best or worst first) or by where the networks disagree most, and
 * saves any row as a PNG (drawn on a canvas in the browser).
 */
export interface GalleryCell {
  method: string;
  image: Raster;
  /** PSNR / SSIM against the sharp image; absent where there is none (a real photo) or for the sharp image itself. */
  psnr?: number;
  ssim?: number | null;
}

export interface GalleryRow {
  id: string;
  cells: GalleryCell[];
  region: Region;
  /** PSNR gain over the input per method (for sorting); absent without a sharp image. */
  gains?: Record<string, number>;
}

/** The spread of the networks' gains on a row: where they disagree most. */
export function disagreement(gains: Record<string, number>, networks: readonly string[]): number {
  const g = networks.map((n) => gains[n]).filter((x): x is number => x !== undefined);
  return g.length < 2 ? 0 : Math.max(...g) - Math.min(...g);
}

async function cellHtml(c: GalleryCell, region: Region, zoom: number): Promise<string> {
  // The outline as thick at the shown size as on a small image.
  const whole = await shownUrl(drawBox(c.image, region, undefined, Math.max(2, Math.round((2 * c.image.width) / SHOWN_WIDTH))));
  const inset = await dataUrl(enlarge(cropRaster(c.image, region.left, region.top, region.width, region.height), zoom));
  const score = c.psnr !== undefined ? `${c.psnr.toFixed(2)} dB${c.ssim != null ? ` / ${c.ssim.toFixed(3)}` : ''}` : '';
  return `<figure class="cell"><figcaption><b>${escapeHtml(c.method)}</b><br><span>${escapeHtml(score) || '&nbsp;'}</span></figcaption><img class="whole" src="${whole}"><img class="inset" src="${inset}"></figure>`;
}

export async function galleryPage(rows: readonly GalleryRow[], o: { title: string; about: string; networks: readonly string[] }): Promise<string> {
  const body: string[] = [];
  for (const r of rows) {
    const zoom = Math.max(1, Math.round(256 / r.region.width));
    const cells = await Promise.all(r.cells.map((c) => cellHtml(c, r.region, zoom)));
    // Each network's gain, in the order of o.networks (the sort menu names them by position).
    const data = r.gains ? JSON.stringify(o.networks.map((n) => r.gains![n] ?? null)) : '';
    body.push(
      `<section class="row" data-gains="${escapeHtml(data)}" data-spread="${r.gains ? disagreement(r.gains, o.networks) : 0}">` +
        `<div class="id">${escapeHtml(r.id)} <button class="save">save as PNG</button></div>` +
        `<div class="cells" style="grid-template-columns:repeat(${r.cells.length}, minmax(0, 1fr))">${cells.join('')}</div></section>`,
    );
  }
  const sortable = rows.some((r) => r.gains);
  const options = sortable
    ? [
        '<option value="">as listed</option>',
        ...o.networks.flatMap((n, i) => [`<option value="best ${i}">${escapeHtml(n)}: largest gain first</option>`, `<option value="worst ${i}">${escapeHtml(n)}: smallest gain first</option>`]),
        ...(o.networks.length > 1 ? ['<option value="spread">where the networks disagree most</option>'] : []),
      ].join('')
    : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(o.title)}</title><style>
body{font:13px sans-serif;margin:12px;color:#222}
.row{margin:14px 0;border-top:1px solid #ddd;padding-top:6px}
.id{margin-bottom:4px;color:#555}
.cells{display:grid;gap:6px}
.cell{margin:0;min-width:0}
.cell img{display:block;width:100%;height:auto;image-rendering:pixelated}
.cell .whole{image-rendering:auto;margin-bottom:4px}
figcaption{font-size:12px;margin-bottom:3px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
button{font-size:11px}
</style></head><body>
<h1 style="font-size:18px">${escapeHtml(o.title)}</h1><p>${escapeHtml(o.about)}</p>
${sortable ? `<label>order: <select id="order">${options}</select></label>` : ''}
<div id="rows">${body.join('\n')}</div>
<script>
const rows = document.getElementById('rows');
const listed = [...rows.children];
const gainsOf = (r) => JSON.parse(r.dataset.gains || '[]');
const order = document.getElementById('order');
if (order) order.addEventListener('change', () => {
  const [how, method] = order.value.split(' ');
  const sorted = [...listed];
  if (how === 'best') sorted.sort((a, b) => gainsOf(b)[method] - gainsOf(a)[method]);
  if (how === 'worst') sorted.sort((a, b) => gainsOf(a)[method] - gainsOf(b)[method]);
  if (how === 'spread') sorted.sort((a, b) => Number(b.dataset.spread) - Number(a.dataset.spread));
  for (const r of sorted) rows.appendChild(r);
});
// A row as a PNG: its images at their own pixel size, side by side, captions above.
for (const b of document.querySelectorAll('button.save')) b.addEventListener('click', () => {
  const row = b.closest('.row');
  const figs = [...row.querySelectorAll('figure')];
  const w = Math.max(...figs.map((f) => f.querySelector('.whole').naturalWidth));
  const hw = Math.max(...figs.map((f) => f.querySelector('.whole').naturalHeight));
  const hi = Math.max(...figs.map((f) => f.querySelector('.inset').naturalHeight));
  const canvas = document.createElement('canvas');
  canvas.width = figs.length * (w + 8); canvas.height = 36 + hw + 4 + hi * (w / Math.max(1, figs[0].querySelector('.inset').naturalWidth));
  const g = canvas.getContext('2d');
  g.fillStyle = '#fff'; g.fillRect(0, 0, canvas.width, canvas.height); g.fillStyle = '#000'; g.font = '12px sans-serif';
  figs.forEach((f, i) => {
    const x = i * (w + 8);
    const [name, score] = [...f.querySelectorAll('figcaption b, figcaption span')].map((e) => e.textContent);
    g.fillText(name, x, 13); g.fillText(score.trim(), x, 28);
    g.drawImage(f.querySelector('.whole'), x, 36, w, hw);
    const inset = f.querySelector('.inset');
    g.imageSmoothingEnabled = false;
    g.drawImage(inset, x, 40 + hw, w, inset.naturalHeight * (w / inset.naturalWidth));
  });
  const a = document.createElement('a');
  a.download = row.querySelector('.id').firstChild.textContent.trim().replace(/[^\\w.-]+/g, '_') + '.png';
  a.href = canvas.toDataURL('image/png');
  a.click();
});
</script></body></html>`;
}
