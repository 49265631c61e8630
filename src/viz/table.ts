import { escapeHtml, html, type Bundle } from './display';

export type Cell = string | number | null | undefined;

export interface TableOptions {
  caption?: string;
  /** Digits after the point for non-integer numbers (default 2). */
  digits?: number;
  /** Rows to set in bold (e.g. the mean). */
  bold?: (row: readonly Cell[], index: number) => boolean;
}

function format(c: Cell, digits: number): string {
  if (c === null || c === undefined) return '—';
  if (typeof c === 'number') {
    if (!Number.isFinite(c)) return c > 0 ? '∞' : c < 0 ? '−∞' : '—';
    return Number.isInteger(c) ? c.toLocaleString('en-US') : c.toFixed(digits);
  }
  return c;
}

/** An HTML table; numbers right-aligned with thousands separators. */
export function table(columns: readonly string[], rows: readonly (readonly Cell[])[], o: TableOptions = {}): Bundle {
  const digits = o.digits ?? 2;
  const th = columns.map((c) => `<th style="padding:2px 10px;text-align:left;border-bottom:1px solid #999">${escapeHtml(c)}</th>`).join('');
  const body = rows
    .map((r, i) => {
      const weight = o.bold?.(r, i) ? ';font-weight:bold' : '';
      const tds = r.map((c) => `<td style="padding:2px 10px;text-align:${typeof c === 'number' ? 'right' : 'left'}${weight}">${escapeHtml(format(c, digits))}</td>`);
      return `<tr>${tds.join('')}</tr>`;
    })
    .join('');
  const caption = o.caption ? `<caption style="caption-side:top;text-align:left;font:13px sans-serif;padding:4px 0">${escapeHtml(o.caption)}</caption>` : '';
  return html(`<table class="deblur-table" style="border-collapse:collapse;font:13px sans-serif">${caption}<thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`);
}
