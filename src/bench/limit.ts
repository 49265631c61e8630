import * as tf from '@tensorflow/tfjs';

/** What this machine does at best with the active backend: the yardstick for every case's GMAC/s. */
export interface MachineLimit {
  gmacsPerSecond: number;
  /** How it was measured, in words. */
  what: string;
}

/**
 * Times one convolution large enough that dispatch costs vanish (3×3, 64 → 64 channels on
 * 1 × 192², 1.36 G multiply-adds): on wasm with the native kernels that is oneDNN on every core,
 * the fastest kernel a training step uses. The median of `runs` after one warm-up. Only one value
 * of the output is read back (which waits for the convolution on asynchronous backends): reading
 * all 2.4 M values into a fresh JavaScript array took 4–5 times as long as the convolution itself
 * here (its pages faulted in anew each time), which the first version of this yardstick counted.
 */
export async function measureLimit(runs = 5): Promise<MachineLimit> {
  const [h, w, c] = [192, 192, 64];
  const x = tf.randomNormal([1, h, w, c], 0, 1, 'float32', 1) as tf.Tensor4D;
  const f = tf.randomNormal([3, 3, c, c], 0, 0.1, 'float32', 2) as tf.Tensor4D;
  const once = async (): Promise<number> => {
    const t0 = performance.now();
    const y = tf.conv2d(x, f, 1, 'same');
    const corner = tf.slice(y, [0, 0, 0, 0], [1, 1, 1, 1]);
    await corner.data();
    tf.dispose([y, corner]);
    return performance.now() - t0;
  };
  try {
    await once();
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await once());
    times.sort((a, b) => a - b);
    const ms = times[Math.floor(times.length / 2)]!;
    const macs = h * w * c * c * 9;
    return { gmacsPerSecond: macs / 1e6 / ms, what: `a 3×3 convolution, 64 → 64 channels on 1 × 192², on ${tf.getBackend()}` };
  } finally {
    tf.dispose([x, f]);
  }
}
