/** npm run lab: the real Notebook server, asked over its REST API, starts the project's tslab kernel. */
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = path.resolve(__dirname, '..');

test('lab serves the notebooks with tslab as the default kernel, and that kernel starts', async () => {
  const child = spawn(process.execPath, ['-r', 'ts-node/register', 'scripts/lab.ts', '--port', '18931'], { cwd: ROOT, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`no URL printed in 60 s; stderr:\n${stderr}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /(http:\/\/127\.0\.0\.1:\d+)\/tree\?token=([0-9a-f]+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(`${m[1]}|${m[2]}`);
        }
      });
      child.on('close', () => reject(new Error(`lab exited early:\n${stderr}`)));
    });
    const [base, token] = url.split('|') as [string, string];
    assert.match(base, /^http:\/\/127\.0\.0\.1:/);
    const auth = { headers: { Authorization: `token ${token}` } };
    const specs = (await (await fetch(`${base}/api/kernelspecs`, auth)).json()) as { default: string; kernelspecs: Record<string, unknown> };
    assert.is(specs.default, 'tslab');
    const tree = (await (await fetch(`${base}/api/contents`, auth)).json()) as { content: { name: string }[] };
    assert.ok(tree.content.some((f) => f.name === '01-tour.ipynb'), 'serves notebooks/');
    const denied = await fetch(`${base}/api/contents`);
    assert.is(denied.status, 403, 'the token is required');
    const started = await fetch(`${base}/api/kernels`, { method: 'POST', body: JSON.stringify({ name: 'tslab' }), ...auth });
    assert.is(started.status, 201);
    const kernel = (await started.json()) as { id: string; name: string };
    assert.is(kernel.name, 'tslab');
    // The kernel process is alive a few seconds later (a bad kernel.json dies at once).
    await new Promise((r) => setTimeout(r, 4000));
    const alive = (await (await fetch(`${base}/api/kernels/${kernel.id}`, auth)).json()) as { execution_state: string };
    assert.ok(['idle', 'busy', 'starting'].includes(alive.execution_state), `kernel state ${alive.execution_state}`);
    await fetch(`${base}/api/kernels/${kernel.id}`, { method: 'DELETE', ...auth });
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const closed = new Promise((r) => child.on('close', r));
      child.kill('SIGTERM');
      await closed;
    }
  }
});

test('lab takes the notebooks\' parameters as options, and a bad one is one line, exit 2, before any server starts', () => {
  const r = spawnSync(process.execPath, ['-r', 'ts-node/register', 'scripts/lab.ts', '--data', 'data/sample', '--realblur', 'R'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' } });
  assert.is(r.status, 2);
  assert.is(r.stderr.trim(), "lab: DEBLUR_REALBLUR R picks one of RealBlur's lists; data/sample is in the gopro layout");
});

test.run();
