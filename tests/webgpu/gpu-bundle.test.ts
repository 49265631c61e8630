import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from '../helpers';

/**
 * The GPU bundle end to end, here on the software adapter: scripts/gpu-bundle.sh builds it, a
 * folder holding nothing but the bundle runs its gpu-check.sh (the Node and lab it unpacks, not
 * this checkout's), and the check trains on webgpu against wasm and times its cases (--quick).
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gpu-bundle-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('the bundle builds under 64 MiB, and from a folder holding only it the check runs: software adapter found, webgpu training agrees with wasm, every case timed', () => {
  const built = path.join(tmp, 'built');
  // xz level 0: the suite checks the machinery; a real bundle packs at level 6.
  const b = spawnSync('bash', [path.join(ROOT, 'scripts', 'gpu-bundle.sh'), '--out', built, '--xz', '0'], { encoding: 'utf8', timeout: 600_000 });
  assert.is(b.status, 0, b.stderr + b.stdout);
  const files = fs.readdirSync(built).sort();
  assert.equal(files.filter((f) => !f.endsWith('.deb')), ['README.md', 'gpu-check.sh', 'lab.tar.xz', 'node.xz']);
  assert.ok(files.some((f) => /^libvulkan1_.*_amd64\.deb$/.test(f)), files.join(' '));
  const bytes = files.reduce((a, f) => a + fs.statSync(path.join(built, f)).size, 0);
  assert.ok(bytes < 64 * 2 ** 20, `${bytes} bytes`);

  // Elsewhere, alone: no checkout above it, no NODE_PATH.
  const there = path.join(tmp, 'there', 'bundle');
  fs.cpSync(built, there, { recursive: true });
  fs.rmSync(built, { recursive: true });
  const out = path.join(tmp, 'there', 'out');
  const env: NodeJS.ProcessEnv = { ...process.env, OUT: out };
  delete env['NODE_PATH'];
  delete env['NODE_OPTIONS'];
  delete env['TS_NODE_PROJECT'];
  const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const r = spawnSync('sh', ['gpu-check.sh', '--quick', '--python', python], { cwd: there, encoding: 'utf8', env, timeout: 600_000 });
  assert.is(r.status, 0, r.stderr + r.stdout);

  const report = JSON.parse(fs.readFileSync(path.join(out, 'gpu-check.json'), 'utf8'));
  assert.is(report.node, path.join(there, 'unpacked', 'node'), 'the check ran on the bundle\'s Node');
  assert.match(report.adapter, /software adapter/);
  assert.ok(report.agreement.agree, JSON.stringify(report.agreement));
  assert.is(report.agreement.webgpu.length, 3);
  assert.ok(report.agreement.webgpu.every((l: number) => l > 0 && Number.isFinite(l)));
  assert.is(report.rows.length, 3);
  for (const row of report.rows) assert.ok(row.lab.ms > 0, `${row.case.label}: ${JSON.stringify(row.lab)}`);
  if ('torch' in report.twin) for (const row of report.rows) assert.ok(row.twin.ms > 0, `twin ${row.case.label}: ${JSON.stringify(row.twin)}`);
  const table = fs.readFileSync(path.join(out, 'gpu-check.md'), 'utf8');
  assert.match(table, /\| case \| lab, webgpu \| PyTorch twin/);
  assert.match(table, /webgpu training against wasm: agree/);
  assert.is(r.stdout, table, 'the table is printed too');
});

test.run();
