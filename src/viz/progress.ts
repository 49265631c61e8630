import { RateClock, type Progress } from '../progress';
import { LiveDisplay, escapeHtml, html } from './display';

/** The line a notebook shows for a slow call: label, a bar, done/total, the remaining time, a note. */
export function progressHtml(label: string, done: number, total: number, o: { eta?: string; note?: string; finished?: boolean } = {}): string {
  const state = o.finished ? `done: ${done}/${total}` : `${done}/${total}${o.eta ? `, about ${o.eta} left` : ''}`;
  const note = o.note ? ` · ${escapeHtml(o.note)}` : '';
  return (
    `<div class="deblur-progress" style="font-family:monospace;font-size:12px">` +
    `${escapeHtml(label)} <progress max="${total}" value="${done}" style="width:14em;vertical-align:middle"></progress> ${state}${note}</div>`
  );
}

/**
 * Progress of a slow call inside a notebook: one output line updated in place (Jupyter's
 * update_display_data), at most about four times a second, and always at the end. Hand it to the
 * library's callbacks (evaluate's onImage, a training run's onStep, …) as the terminal gets a bar.
 */
export function progressLine(label: string, total: number, o: { minIntervalMs?: number } = {}): Progress {
  const display = new LiveDisplay();
  const clock = new RateClock();
  const every = o.minIntervalMs ?? 250;
  let last = -Infinity;
  let latest = { done: 0, note: '' };
  const draw = (finished: boolean): void => {
    const eta = clock.eta(latest.done, total);
    display.update(html(progressHtml(label, latest.done, total, { ...(eta ? { eta } : {}), ...(latest.note ? { note: latest.note } : {}), finished })));
  };
  draw(false);
  return {
    update(done, note = '') {
      latest = { done, note };
      const now = performance.now();
      if (now - last >= every || done >= total) {
        last = now;
        draw(done >= total);
      }
    },
    stop() {
      draw(latest.done >= total);
    },
  };
}

/**
 * For calls that report several stages, each with its own count (`onProgress(what, done, total)`,
 * as baselinesFor does): one progress line per stage, the previous one left finished.
 */
export function stagedProgress(): (what: string, done: number, total: number) => void {
  let current: { what: string; line: Progress } | undefined;
  return (what, done, total) => {
    if (current?.what !== what) {
      current?.line.stop();
      current = { what, line: progressLine(what, total) };
    }
    current.line.update(done);
  };
}
