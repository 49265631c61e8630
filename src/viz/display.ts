import { randomBytes } from 'crypto';
import { readFileSync } from 'fs';
import { UsageError } from '../errors';

/**
 * What a viz function returns: one thing to show, as one MIME type (tslab sends one type per
 * display call). Viz functions build bundles from tensors; only `show` and `LiveDisplay` talk to
 * Jupyter, and `htmlPage` turns bundles into a standalone page for use outside a notebook.
 */
export interface Bundle {
  readonly mime: 'text/html' | 'text/markdown' | 'image/png';
  readonly data: string | Buffer;
  /** True when the HTML calls Plotly: plotly.js must be on the page before it. */
  readonly plotly?: boolean;
}

export const html = (data: string, plotly = false): Bundle => ({ mime: 'text/html', data, plotly });
export const markdown = (data: string): Bundle => ({ mime: 'text/markdown', data });
export const png = (data: Buffer): Bundle => ({ mime: 'image/png', data });

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A page-unique element id (charts re-run in the same notebook must not collide). */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

let plotlySource: string | undefined;

/**
 * plotly.js as an inline <script>: no network is needed to draw, in the notebook or in its
 * exported HTML. It is ~10 MB, so `show` sends it once per kernel (once per notebook).
 */
export function plotlyScript(): string {
  plotlySource ??= readFileSync(require.resolve('plotly.js-dist'), 'utf8');
  // A literal "</script>" inside the library would end the tag early.
  return `<script type="text/javascript">${plotlySource.replace(/<\/script/gi, '<\\/script')}</script>`;
}

/** A standalone HTML document of `bundles`, plotly.js inlined once if any chart needs it. */
export function htmlPage(bundles: readonly Bundle[], title = 'deblur-lab'): string {
  const parts = bundles.map((b) => {
    if (b.mime === 'image/png') return `<img src="data:image/png;base64,${(b.data as Buffer).toString('base64')}">`;
    if (b.mime === 'text/markdown') return `<pre>${escapeHtml(String(b.data))}</pre>`;
    return String(b.data);
  });
  const head = bundles.some((b) => b.plotly) ? plotlyScript() : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>${head}</head><body>${parts.join('\n')}</body></html>`;
}

// tslab's display API, loaded lazily: it pulls in a TypeScript compiler, and it only works
// inside a running tslab kernel.
interface TslabDisplay {
  raw(contentType: string, b: string | Uint8Array): void;
}
interface Tslab {
  display: TslabDisplay;
  newDisplay(): TslabDisplay;
}

function tslab(): Tslab {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require('tslab') as Tslab;
}

let plotlySent = false;

function send(target: TslabDisplay, b: Bundle): void {
  try {
    target.raw(b.mime, b.data);
  } catch (e) {
    if (e instanceof Error && e.message === 'Not ready') {
      throw new UsageError('show() draws into a Jupyter notebook run by the tslab kernel; outside one, write htmlPage(bundles) to a file');
    }
    throw e;
  }
}

function ensurePlotly(bundles: readonly Bundle[]): void {
  if (plotlySent || !bundles.some((b) => b.plotly)) return;
  send(tslab().display, html(plotlyScript()));
  plotlySent = true;
}

/** Shows bundles as cell outputs, one after another. */
export function show(...bundles: Bundle[]): void {
  ensurePlotly(bundles);
  for (const b of bundles) send(tslab().display, b);
}

/** One output that is replaced in place on every `update` (a live loss curve, a progress line). */
export class LiveDisplay {
  private readonly target = tslab().newDisplay();

  update(b: Bundle): void {
    ensurePlotly([b]);
    send(this.target, b);
  }
}
