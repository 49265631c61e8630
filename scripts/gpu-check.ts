/**
 * The lab's check of a GPU machine, run there from the bundle that scripts/gpu-bundle.sh builds
 * (its gpu-check.sh unpacks Node and the lab, then calls this compiled): which adapter WebGPU
 * finds; whether training on it follows wasm (3 seeded steps, the same losses to 1e-3); how long
 * `full` 4 × 256² and `lite` 16 × 256² training steps and `full` 1280×720 inference take on
 * webgpu; and, where Python has torch, the PyTorch twin on the same cases (on CUDA when torch sees
 * a GPU). Writes gpu-check.json and gpu-check.md into --out and prints the table.
 *
 * `--quick` runs tiny cases instead (what the test does here on the software adapter: the
 * machinery, not the numbers). Exit status 1 when the losses disagree or a case could not run.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { selectBackend } from '../src/backend';
import { variantConfig, type VariantName } from '../src/model/config';
import { LossLog } from '../src/train/loss-log';
import { moduleArgs, pythonEnv } from '../src/python';
import { runMain } from '../src/cli/run-main';

const root = path.join(__dirname, '..');
const cliPath = path.join(root, 'bin', 'deblur-lab.js');

interface Case {
  label: string;
  variant: VariantName;
  batch: number;
  height: number;
  width: number;
  mode: 'train' | 'infer';
}

const FULL_CASES: Case[] = [
  { label: 'full 4 × 256² training step', variant: 'full', batch: 4, height: 256, width: 256, mode: 'train' },
  { label: 'lite 16 × 256² training step', variant: 'lite', batch: 16, height: 256, width: 256, mode: 'train' },
  { label: 'full 1280×720 inference', variant: 'full', batch: 1, height: 720, width: 1280, mode: 'infer' },
];

const QUICK_CASES: Case[] = [
  { label: 'lite 1 × 32² training step', variant: 'lite', batch: 1, height: 32, width: 32, mode: 'train' },
  { label: 'lite 2 × 32² training step', variant: 'lite', batch: 2, height: 32, width: 32, mode: 'train' },
  { label: 'lite 48×64 inference', variant: 'lite', batch: 1, height: 48, width: 64, mode: 'infer' },
];

interface Timing {
  ms: number | null;
  error?: string;
}

interface Row {
  case: Case;
  lab: Timing;
  twin: Timing | null;
}

interface Report {
  node: string;
  adapter: string;
  agreement: { steps: number; wasm: number[]; webgpu: number[]; agree: boolean } | { error: string };
  twin: { torch: string; device: string } | { absent: string };
  rows: Row[];
}

function run(cmd: string, args: string[], timeoutMs: number): { code: number | null; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout: timeoutMs, env: pythonEnv({ ...process.env, DEBLUR_BACKEND: '' }), maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

const lastLine = (text: string): string => text.trim().split('\n').filter((l) => l.trim()).slice(-1)[0] ?? '(no output)';

/** 3 seeded training steps on wasm and on webgpu from the same start: the losses must agree. */
function agreement(work: string, data: string): Report['agreement'] {
  const steps = 3;
  const common = ['--data', data, '--variant', 'lite', '--batch', '1', '--crop', '32', '--seed', '3', '--schedule', 'constant', '--lr', '1e-3', '--steps', String(steps)];
  const losses: Record<string, number[]> = {};
  for (const backend of ['wasm', 'webgpu']) {
    const out = path.join(work, `agreement-${backend}`);
    fs.rmSync(out, { recursive: true, force: true });
    const r = run(process.execPath, [cliPath, 'train', ...common, '--out', out, '--backend', backend], 600_000);
    if (r.code !== 0) return { error: `training on ${backend} failed: ${lastLine(r.err)}` };
    losses[backend] = LossLog.read(path.join(out, 'log.csv')).map((row) => row['loss']!);
  }
  const [w, g] = [losses['wasm']!, losses['webgpu']!];
  const agree = w.length === steps && g.length === steps && w.every((l, i) => Math.abs(l - g[i]!) <= 1e-3 * Math.abs(l));
  return { steps, wasm: w, webgpu: g, agree };
}

function labTiming(c: Case, steps: number): Timing {
  const r = run(process.execPath, [cliPath, 'bench', '--variant', c.variant, '--batch', String(c.batch), '--size', `${c.height}x${c.width}`, '--mode', c.mode, '--steps', String(steps), '--backend', 'webgpu', '--json'], 600_000);
  if (r.code !== 0) return { ms: null, error: lastLine(r.err) };
  const j = JSON.parse(r.out) as { trainStepMs: number | null; inferMs: number | null };
  return { ms: c.mode === 'train' ? j.trainStepMs : j.inferMs };
}

/** The twin's python3 and the device torch would use, or why there is none. */
function twinDevice(python: string): Report['twin'] {
  const r = run(python, ['-c', 'import torch; print(torch.__version__); print("cuda" if torch.cuda.is_available() else "cpu")'], 120_000);
  if (r.code !== 0) return { absent: r.code === null ? `${python} not found` : `${python} has no torch` };
  const [torch, device] = r.out.trim().split('\n');
  return { torch: torch!, device: device! };
}

function twinTiming(python: string, c: Case, device: string, steps: number): Timing {
  const args = [...moduleArgs('bench'), '--config', JSON.stringify(variantConfig(c.variant)), '--batch', String(c.batch), '--height', String(c.height), '--width', String(c.width), `--${c.mode}`, '--steps', String(steps), '--device', device];
  const r = run(python, args, 600_000);
  if (r.code !== 0) return { ms: null, error: lastLine(r.err) };
  const j = JSON.parse(lastLine(r.out)) as { trainStepMs: number | null; inferMs: number | null };
  return { ms: c.mode === 'train' ? j.trainStepMs : j.inferMs };
}

const ms = (t: Timing | null): string => (t === null ? '—' : t.ms === null ? `failed: ${t.error}` : `${t.ms.toFixed(1)} ms`);

export function markdown(r: Report): string {
  const twinName = 'torch' in r.twin ? `PyTorch twin (${r.twin.torch}, ${r.twin.device})` : `PyTorch twin: ${r.twin.absent}`;
  const agreement = 'error' in r.agreement ? `failed: ${r.agreement.error}` : `${r.agreement.agree ? 'agree' : 'DISAGREE'} (${r.agreement.steps} seeded steps; wasm ${r.agreement.wasm.map((l) => l.toFixed(5)).join(', ')}; webgpu ${r.agreement.webgpu.map((l) => l.toFixed(5)).join(', ')})`;
  const rows = r.rows.map((row) => {
    const ratio = row.lab.ms !== null && row.twin?.ms ? (row.lab.ms / row.twin.ms).toFixed(2) : '—';
    return `| ${row.case.label} | ${ms(row.lab)} | ${ms(row.twin)} | ${ratio} |`;
  });
  return [
    `Adapter: ${r.adapter}`,
    `Node: ${r.node}`,
    `webgpu training against wasm: ${agreement}`,
    '',
    `| case | lab, webgpu | ${twinName} | lab / twin |`,
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const o = new Command('gpu-check')
    .description('check and time the lab on this machine\'s GPU (webgpu), with the PyTorch twin beside it')
    .requiredOption('--out <dir>', 'where to write gpu-check.json and gpu-check.md')
    .option('--data <dir>', 'training pairs for the agreement check', path.join(root, 'data', 'sample'))
    .option('--python <command>', "the Python that runs the twin (with torch)", 'python3')
    .option('--quick', 'tiny cases: checks the machinery in a minute (numbers mean little)')
    .parse(process.argv)
    .opts<{ out: string; data: string; python: string; quick?: boolean }>();
  fs.mkdirSync(o.out, { recursive: true });
  const work = fs.mkdtempSync(path.join(o.out, '.work-'));
  try {
    let adapter: string;
    try {
      adapter = (await selectBackend({ backend: 'webgpu', log: () => {} })).device;
    } catch (e) {
      adapter = `none: ${e instanceof Error ? e.message : String(e)}`;
    }
    process.stderr.write(`gpu-check: adapter ${adapter}\n`);
    const steps = o.quick ? 1 : 5;
    const twin = twinDevice(o.python);
    const report: Report = { node: process.execPath, adapter, agreement: agreement(work, o.data), twin, rows: [] };
    for (const c of o.quick ? QUICK_CASES : FULL_CASES) {
      process.stderr.write(`gpu-check: ${c.label}\n`);
      report.rows.push({ case: c, lab: labTiming(c, steps), twin: 'torch' in twin ? twinTiming(o.python, c, twin.device, steps) : null });
    }
    fs.writeFileSync(path.join(o.out, 'gpu-check.json'), JSON.stringify(report, null, 2) + '\n');
    const table = markdown(report);
    fs.writeFileSync(path.join(o.out, 'gpu-check.md'), table);
    process.stdout.write(table);
    const ok = !('error' in report.agreement) && report.agreement.agree && report.rows.every((r) => r.lab.ms !== null && (r.twin === null || r.twin.ms !== null));
    if (!ok) process.exitCode = 1;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) runMain('gpu-check', main);
