import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readQtResources } from '../../src/data/qt-resources';
import { UsageError } from '../../src/errors';

// Qt's own resource compiler writes the files the reader must read (Debian's qtbase5-dev-tools).
const RCC = '/usr/lib/qt5/bin/rcc';

/** Files of every kind the format distinguishes: compressible and not, nested, a non-ASCII name, empty. */
function sources(dir: string): Record<string, Buffer> {
  const files: Record<string, Buffer> = {
    'top.txt': Buffer.from('a line that repeats. '.repeat(400)),
    'images/noise.bin': randomBytes(5000),
    'images/deep/er/grün.txt': Buffer.from('ünïcödé '.repeat(50)),
    'images/empty.txt': Buffer.alloc(0),
  };
  for (const [name, bytes] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), bytes);
  }
  const entries = Object.keys(files).map((f) => `<file>${f}</file>`).join('');
  fs.writeFileSync(path.join(dir, 'set.qrc'), `<RCC><qresource prefix="/">${entries}</qresource></RCC>`);
  return files;
}

function compile(dir: string, args: string[]): Buffer {
  const out = path.join(dir, `out-${args.join('')}.rcc`);
  execFileSync(RCC, ['--binary', ...args, '-o', out, 'set.qrc'], { cwd: dir });
  return fs.readFileSync(out);
}

test("reads what Qt's rcc writes: format versions 1-3, zlib-compressed and stored, byte for byte", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qrc-'));
  try {
    const files = sources(dir);
    for (const version of ['1', '2', '3']) {
      for (const compression of [['--compress-algo', 'zlib', '--threshold', '0'], ['--no-compress']]) {
        const buf = compile(dir, ['--format-version', version, ...compression]);
        const got = readQtResources(buf);
        assert.equal(got.map((r) => r.path).sort(), Object.keys(files).sort(), `v${version} ${compression[0]}: paths`);
        for (const r of got) assert.ok(r.data.equals(files[r.path]!), `v${version} ${compression[0]}: ${r.path} differs`);
      }
    }
    // The compressible text really was stored compressed (else the zlib path went untested).
    const zlib = compile(dir, ['--format-version', '3', '--compress-algo', 'zlib', '--threshold', '0']);
    const plain = compile(dir, ['--format-version', '3', '--no-compress']);
    assert.ok(zlib.length < plain.length - 5000, `zlib ${zlib.length} B, stored ${plain.length} B`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a file that is not a resource file, or is cut short, is a UsageError naming it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qrc-'));
  try {
    sources(dir);
    const buf = compile(dir, ['--format-version', '3', '--no-compress']);
    assert.throws(() => readQtResources(Buffer.from('PK\x03\x04 not qres at all'), 'x.rcc'), (e: unknown) => e instanceof UsageError && /x\.rcc: not a readable Qt resource file \(no "qres" header\)/.test((e as Error).message));
    assert.throws(() => readQtResources(buf.subarray(0, buf.length - 100), 'cut.rcc'), (e: unknown) => e instanceof UsageError && /cut\.rcc: .*runs past the end/.test((e as Error).message));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
