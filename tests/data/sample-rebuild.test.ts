import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

// The committed sample must be exactly what its script makes from the pinned Debian packages:
// rebuild it under build/ (apt-get download + dpkg-deb -x, nothing installed) and compare bytes.
test('npm run data:sample -- --check rebuilds data/sample byte for byte', () => {
  const root = path.join(__dirname, '..', '..');
  const r = spawnSync(process.execPath, ['-r', 'ts-node/register', 'scripts/build-sample.ts', '--check'], { cwd: root, encoding: 'utf8', timeout: 900_000 });
  assert.is(r.status, 0, `${r.stdout.slice(-2000)}\n${r.stderr}`);
  assert.match(r.stdout, /check: the rebuilt sample matches data\/sample byte for byte/);
});

test.run();
