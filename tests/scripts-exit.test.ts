import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from './helpers';

const script = (name: string, ...args: string[]) => spawnSync(process.execPath, ['-r', 'ts-node/register', `scripts/${name}.ts`, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' } });

test('the npm scripts end a user mistake as the CLI does: one line naming the script, exit 2, nothing left behind', () => {
  const missing = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'scripts-')), 'no-such-run');
  for (const [name, args, line] of [
    ['ship-weights', ['--run', missing, '--name', 'x'], `weights:ship: --run ${missing}: no such run folder`],
    ['yardstick-report', [missing], `yardstick-report: ${missing}: no yardstick report (ship the weights with --yardstick, or save eval --yardstick --json)`],
    ['training-report', [missing], `training-report: ${missing}: no curve.jsonl (run \`npm run cli -- continue ${missing}\` first)`],
    ['results-report', [missing], 'results-report: name at least one weights folder with an eval.json'],
  ] as const) {
    const r = script(name, ...args);
    assert.is(r.status, 2, `${name}: ${r.stderr}`);
    assert.is(r.stderr.trim(), line);
  }
  assert.not.ok(fs.existsSync(missing), 'a mistyped run is not created by its lock');
});

test.run();
