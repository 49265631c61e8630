/**
 * Builds the GPU bundle (`bash scripts/gpu-bundle.sh [--out DIR]`): everything the lab needs on a
 * Linux x86-64 GPU machine that has neither Node nor a network, in one folder of a few files:
 *
 * - `node.xz`: the Node binary running this build (it must be a Linux x86-64 one);
 * - `lab.tar.xz`: the lab compiled to JavaScript (tsconfig.bundle.json), its launcher, the twin
 *   and its benchmark (python/deblur_twin), two sequences of the sample's training split with their
 *   licences, and a node_modules cut down to the files the lab loads: found by running the compiled lab under a
 *   require hook (help, a wasm training step, a benchmark, the webgpu modules), plus the files
 *   loaded without `require` (wasm binaries, libvips), each package's package.json and licence;
 * - Debian's `libvulkan1` package (Vulkan's loader; Dawn reaches the GPU's driver through it);
 * - `gpu-check.sh`, which unpacks the rest beside itself and runs scripts/gpu-check.ts.
 *
 * `sh BUNDLE/gpu-check.sh` then checks and times the lab there (see that script).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { runMain } from '../src/cli/run-main';
import { UsageError } from '../src/errors';

const root = path.join(__dirname, '..');
/** What the device's transfer allows, and what the bundle must stay under. */
export const BUNDLE_LIMIT_BYTES = 64 * 1024 * 1024;
/** The sample's training sequences the agreement check trains on. */
const SAMPLE_SEQUENCES = 2;

/** Loaded by path, not through require: the trace cannot see them. */
const UNTRACED: ReadonlyArray<{ dir: string; match: RegExp }> = [
  { dir: '@tensorflow/tfjs-backend-wasm/dist', match: /\.wasm$/ },
  { dir: '@img/sharp-libvips-linux-x64/lib', match: /\.so/ },
];

/** Modules the lab requires only where a GPU is (the trace runs on wasm). */
const GPU_MODULES = ['webgpu', '@tensorflow/tfjs-backend-webgpu'];

function sh(cmd: string, args: string[], o: { cwd?: string } = {}): void {
  const r = spawnSync(cmd, args, { cwd: o.cwd ?? root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
}

function copy(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.cpSync(from, to, { recursive: true });
}

/** The package folder holding `file` (…/node_modules/NAME or …/node_modules/@SCOPE/NAME). */
function packageDir(file: string): string {
  const parts = file.split(path.sep);
  const i = parts.lastIndexOf('node_modules');
  return parts.slice(0, i + (parts[i + 1]!.startsWith('@') ? 3 : 2)).join(path.sep);
}

/**
 * The node_modules files the compiled lab in `lab` loads: it runs a few commands with a hook that
 * records every resolved file under node_modules (the lab's node_modules is a link to the
 * project's while this runs).
 */
function traceModules(lab: string, work: string): Set<string> {
  const log = path.join(work, 'trace.txt');
  const hook = path.join(work, 'trace-hook.js');
  fs.writeFileSync(
    hook,
    `const Module = require('module'); const fs = require('fs'); const seen = new Set(); const resolve = Module._resolveFilename;
Module._resolveFilename = function (...a) { const f = resolve.apply(this, a); if (f.includes('node_modules')) seen.add(f); return f; };
process.on('exit', () => fs.appendFileSync(${JSON.stringify(log)}, [...seen].join('\\n') + '\\n'));\n`,
  );
  const cli = path.join(lab, 'bin', 'deblur-lab.js');
  const tiny = ['--variant', 'lite', '--batch', '1', '--backend', 'wasm'];
  const runs: string[][] = [
    [cli, '--help'],
    [cli, 'train', '--data', path.join(lab, 'data', 'sample'), ...tiny, '--crop', '32', '--steps', '1', '--out', path.join(work, 'trace-train')],
    [cli, 'bench', ...tiny, '--crop', '32', '--steps', '1', '--warmup', '0', '--warmup-seconds', '0', '--json'],
    ['-e', GPU_MODULES.map((m) => `require.resolve(${JSON.stringify(m)}); require(${JSON.stringify(m)});`).join(' ')],
  ];
  for (const args of runs) {
    const r = spawnSync(process.execPath, ['-r', hook, ...args], { cwd: lab, encoding: 'utf8', env: { ...process.env, DEBLUR_BACKEND: '', DEBLUR_NATIVE: '0', OMP_NUM_THREADS: '1' } });
    if (r.status !== 0) throw new Error(`tracing what the lab loads: node ${args.slice(0, 2).join(' ')} … failed:\n${r.stderr}`);
  }
  return new Set(fs.readFileSync(log, 'utf8').split('\n').filter((l) => l));
}

/** Replaces the link `lab/node_modules` by a folder of the traced files, the untraced ones, package.json and licences. */
function pruneModules(lab: string, traced: Set<string>): void {
  const source = fs.realpathSync(path.join(root, 'node_modules'));
  const files = new Set([...traced].map((f) => fs.realpathSync(f)));
  const webgpuBinary = path.join(source, 'webgpu', 'dist', `${process.platform}-${process.arch}`, 'dawn.node');
  if (!fs.existsSync(webgpuBinary)) throw new Error(`no ${webgpuBinary}: the bundle is built on the machine kind it is for (Linux x86-64)`);
  files.add(webgpuBinary);
  for (const u of UNTRACED) {
    const dir = path.join(source, u.dir);
    for (const f of fs.readdirSync(dir)) if (u.match.test(f)) files.add(path.join(dir, f));
  }
  for (const f of [...files]) {
    const pkg = packageDir(f);
    for (const extra of fs.readdirSync(pkg)) if (extra === 'package.json' || /^(licen[cs]e|copying|notice)/i.test(extra)) files.add(path.join(pkg, extra));
  }
  const target = path.join(lab, 'node_modules');
  fs.rmSync(target, { recursive: true, force: true });
  for (const f of files) {
    if (!f.startsWith(source + path.sep)) throw new Error(`${f} is outside node_modules`);
    copy(f, path.join(target, path.relative(source, f)));
  }
}

/** Debian's libvulkan1 .deb, downloaded once into build/cache/debs. */
function vulkanDeb(): string {
  const cache = path.join(root, 'build', 'cache', 'debs');
  fs.mkdirSync(cache, { recursive: true });
  const find = (): string | undefined => fs.readdirSync(cache).find((f) => /^libvulkan1_.*_amd64\.deb$/.test(f));
  if (!find()) {
    const get = (): boolean => spawnSync('apt-get', ['download', 'libvulkan1:amd64'], { cwd: cache, stdio: ['ignore', 'ignore', 'pipe'] }).status === 0;
    if (!get()) {
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
      if (!get()) throw new Error('cannot download libvulkan1 with apt-get');
    }
  }
  return path.join(cache, find()!);
}

/** The compiled lab, its launcher, the twin and the sample's first sequences, in `lab`. */
function stageLab(lab: string): void {
  sh(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'tsconfig.bundle.json'), '--outDir', lab]);
  fs.mkdirSync(path.join(lab, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(lab, 'bin', 'deblur-lab.js'), "#!/usr/bin/env node\n// The bundle's launcher: the lab compiled to JavaScript (scripts/gpu-bundle.ts).\nrequire('../src/cli/main').main(process.argv);\n");
  copy(path.join(root, 'package.json'), path.join(lab, 'package.json'));
  for (const f of ['__init__.py', 'bench.py', 'torch_twin.py']) copy(path.join(root, 'python', 'deblur_twin', f), path.join(lab, 'python', 'deblur_twin', f));
  const sample = path.join(root, 'data', 'sample');
  for (const f of fs.readdirSync(sample)) if (/\.md$/.test(f) || f === 'cc-by-sa') copy(path.join(sample, f), path.join(lab, 'data', 'sample', f));
  const sequences = fs.readdirSync(path.join(sample, 'train')).sort().slice(0, SAMPLE_SEQUENCES);
  for (const s of sequences) copy(path.join(sample, 'train', s), path.join(lab, 'data', 'sample', 'train', s));
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(lab, 'node_modules'));
}

const README = `# The lab's GPU bundle

Built by scripts/gpu-bundle.sh for a Linux x86-64 machine with a GPU and neither Node nor a
network. Run \`sh gpu-check.sh\` (or \`sh gpu-check.sh --quick\` for tiny cases): it unpacks Node,
the lab and Vulkan's loader into unpacked/ beside it and writes gpu-check.json and gpu-check.md to
$OUT (default out/). It needs python3 and dpkg-deb; torch in that Python adds the PyTorch twin.

Inside: Node.js (MIT licence), the lab and its npm packages (each with its package.json and
licence file under lab/node_modules), Debian's libvulkan1 (Apache-2.0; its copyright file is in
the .deb), and sample photos under lab/data/sample (sources and licences in its ATTRIBUTION.md).
`;

function level(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 9) throw new InvalidArgumentError('an xz level from 0 to 9');
  return n;
}

async function main(): Promise<void> {
  const o = new Command('gpu-bundle')
    .description('build a self-contained bundle of the lab for a GPU machine without Node or network')
    .option('--out <dir>', 'where to write the bundle (emptied first)', path.join(root, 'build', 'gpu-bundle'))
    .option('--xz <level>', 'xz compression level (0 fast … 9 small)', level, 6)
    .parse(process.argv)
    .opts<{ out: string; xz: number }>();
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new UsageError(`the bundle is for Linux x86-64 and carries this machine's Node; this is ${process.platform}-${process.arch}`);
  const out = path.resolve(o.out);
  const stage = fs.mkdtempSync(path.join(root, 'build', 'gpu-bundle-stage-'));
  try {
    const lab = path.join(stage, 'lab');
    console.log('gpu-bundle: compiling the lab');
    stageLab(lab);
    console.log('gpu-bundle: finding the files it loads');
    pruneModules(lab, traceModules(lab, stage));
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out, { recursive: true });
    console.log(`gpu-bundle: packing (xz -${o.xz})`);
    execFileSync('bash', ['-c', `set -o pipefail; tar -C "$1" -cf - lab | xz -T0 -${o.xz} > "$2"`, '_', stage, path.join(out, 'lab.tar.xz')]);
    execFileSync('bash', ['-c', `xz -T0 -${o.xz} -c "$1" > "$2"`, '_', process.execPath, path.join(out, 'node.xz')]);
    const deb = vulkanDeb();
    fs.copyFileSync(deb, path.join(out, path.basename(deb)));
    fs.copyFileSync(path.join(root, 'scripts', 'gpu-check.sh'), path.join(out, 'gpu-check.sh'));
    fs.writeFileSync(path.join(out, 'README.md'), README);
    const sizes = fs.readdirSync(out).map((f) => [f, fs.statSync(path.join(out, f)).size] as const);
    const total = sizes.reduce((a, [, s]) => a + s, 0);
    for (const [f, s] of sizes) console.log(`  ${f}  ${(s / 2 ** 20).toFixed(1)} MiB`);
    console.log(`gpu-bundle: ${out} (${(total / 2 ** 20).toFixed(1)} MiB); run it there with: sh gpu-check.sh`);
    if (total > BUNDLE_LIMIT_BYTES) throw new Error(`the bundle is ${(total / 2 ** 20).toFixed(1)} MiB, over ${BUNDLE_LIMIT_BYTES / 2 ** 20} MiB`);
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

runMain('gpu-bundle', main);
