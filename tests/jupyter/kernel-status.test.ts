/**
 * The kernel's status messages, as a notebook's Run All sees them: with cells queued, each
 * execution is bracketed by its own busy … idle, in order, so the toolbar's indicator reads busy
 * until the last cell's result (tslab alone announces busy for every queued cell at once and idle
 * as each finishes). Observed over Jupyter's real protocol with Debian's jupyter_client.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = path.resolve(__dirname, '..', '..');

interface KernelEvent {
  channel: 'iopub' | 'shell';
  type: string;
  parent: number;
  state?: 'busy' | 'idle';
  text?: string;
  status?: string;
}

function runCells(cells: string[]): KernelEvent[] {
  const runtime = fs.mkdtempSync(path.join(os.tmpdir(), 'kernel-status-'));
  try {
    const r = spawnSync('/usr/bin/python3', [path.join(ROOT, 'tests', 'python', 'kernel_messages.py'), ...cells], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, JUPYTER_PATH: path.join(ROOT, 'scripts', 'jupyter'), JUPYTER_RUNTIME_DIR: runtime },
      timeout: 180_000,
    });
    assert.is(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as KernelEvent[];
  } finally {
    fs.rmSync(runtime, { recursive: true, force: true });
  }
}

/** The iopub stream as short words: "busy 0", "out 0 first", "idle 0", … */
const iopub = (events: KernelEvent[]): string[] =>
  events.filter((e) => e.channel === 'iopub').map((e) => (e.type === 'status' ? `${e.state} ${e.parent}` : `${e.type === 'stream' ? 'out' : e.type} ${e.parent}${e.text ? ` ${e.text.trim()}` : ''}`));

test('cells queued at once: busy … idle bracket each execution in order, the last idle after the last result', () => {
  const events = runCells([
    "await new Promise((r) => setTimeout(r, 1200)); console.log('first');",
    "console.log('second');",
    "await new Promise((r) => setTimeout(r, 400)); console.log('third');",
  ]);
  assert.equal(iopub(events), ['busy 0', 'out 0 first', 'idle 0', 'busy 1', 'out 1 second', 'idle 1', 'busy 2', 'out 2 third', 'idle 2']);
  assert.equal(events.filter((e) => e.type === 'execute_reply').map((e) => `${e.parent} ${e.status}`), ['0 ok', '1 ok', '2 ok']);
});

test('a failing cell still stops the cells queued behind it, each with its own busy … idle', () => {
  const events = runCells(["await new Promise((r) => setTimeout(r, 300)); throw new Error('boom-7');", "console.log('never');", "console.log('never');"]);
  const words = iopub(events);
  assert.equal(words.filter((w) => /^(busy|idle)/.test(w)), ['busy 0', 'idle 0', 'busy 1', 'idle 1', 'busy 2', 'idle 2']);
  assert.ok(words.some((w) => w.startsWith('out 0 Error: boom-7')), words.join('\n'));
  assert.not.ok(words.some((w) => w.includes('never')));
  assert.equal(events.filter((e) => e.type === 'execute_reply').map((e) => `${e.parent} ${e.status}`), ['0 error', '1 abort', '2 abort']);
});

test.run();
