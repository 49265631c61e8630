import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { adviseHugeHeapPages, wasmHeapBytes } from '../../src/backend';
import { loadNative } from '../../src/kernels/native/addon';
import { startBackendForTest } from '../helpers';

// The wasm heap gets 2 MiB pages where Linux allows them (src/backend.ts, adviseHugeHeapPages).

/** Sizes in bytes of this process's mappings that carry the huge-page advice ("hg" in VmFlags). */
function advisedMappings(): number[] {
  const sizes: number[] = [];
  let size = 0;
  for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (line.startsWith('Size:')) size = Number(line.split(/\s+/)[1]) * 1024;
    if (line.startsWith('VmFlags:') && line.split(/\s+/).includes('hg')) sizes.push(size);
  }
  return sizes;
}

test('adviseHugePages marks a fresh mapping for huge pages (a new advised mapping appears in smaps)', () => {
  const addon = loadNative();
  if (typeof addon === 'string') throw new Error(`the native kernels are not available: ${addon}`);
  const before = advisedMappings().length;
  const buffer = new ArrayBuffer(64 << 20); // large enough to be a mapping of its own
  new Uint8Array(buffer).fill(1);
  assert.is(addon.adviseHugePages(buffer, buffer.byteLength), 0);
  const after = advisedMappings();
  assert.ok(after.length > before, `advised mappings: ${before} before, ${after.length} after`);
  assert.ok(after.some((s) => s >= 60 << 20), `no advised mapping of the buffer's size: ${after.join(', ')}`);
  assert.throws(() => addon.adviseHugePages({} as ArrayBuffer, 10), /ArrayBuffer/);
});

test('the wasm backend with the native kernels advises its whole heap and the range it grows into', async () => {
  await startBackendForTest('wasm', 'native');
  const big = tf.zeros([64, 1024, 1024]); // 256 MiB: the heap grows past its first size
  try {
    const heap = wasmHeapBytes()!;
    assert.ok(heap >= 256 << 20);
    assert.ok(advisedMappings().some((s) => s >= heap), `no advised mapping as large as the ${heap}-byte heap: ${advisedMappings().join(', ')}`);
    assert.is(adviseHugeHeapPages(loadNative() as never), 0); // again: harmless
  } finally {
    big.dispose();
  }
});

test.run();
