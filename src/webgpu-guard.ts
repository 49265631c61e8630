/**
 * WebGPU errors made loud. tfjs-backend-webgpu does not check for them: an invalid shader or an
 * impossible buffer becomes an invalid pipeline or command buffer, Dawn logs a line, and tfjs
 * carries on with numbers that mean nothing (issue: webgpu training was silently wrong).
 *
 * The guard wraps every program tfjs runs in WebGPU error scopes (validation, out-of-memory), so
 * an error is tied to the program (its class) and the shapes it ran on, and keeps outer scopes
 * (those two and internal) open for what happens between programs (queue submissions). Whenever
 * tfjs reads a tensor back, the errors caught so far make that read throw a WebGpuError, so train,
 * eval, bench and notebook cells stop with one clear message. A lost device does the same.
 */

const SCOPES = ['validation', 'out-of-memory', 'internal'] as const;

export class WebGpuError extends Error {
  override readonly name = 'WebGpuError';
}

interface DeviceLike {
  pushErrorScope(filter: (typeof SCOPES)[number]): void;
  popErrorScope(): Promise<{ message: string } | null>;
  lost: Promise<{ reason?: string; message: string }>;
}

interface ProgramLike {
  constructor: { name: string };
  outputShape?: number[];
}

interface WebGpuBackendLike {
  device: DeviceLike;
  read(dataId: object): Promise<unknown>;
  runWebGPUProgram(program: ProgramLike, inputs: Array<{ shape: number[] }>, ...rest: unknown[]): unknown;
}

/** Errors caught around single programs since the last check, and the scope pops still pending. */
const caught: Array<{ scope: string; program: string; message: string }> = [];
let pending: Array<Promise<void>> = [];
let lost: string | undefined;
let installed = false;

function oneLine(message: string): string {
  return message.split('\n').map((l) => l.trim()).filter((l) => l).slice(0, 3).join(' ');
}

/**
 * Closes the open scopes, reopens them, and throws the first error they caught. The pops and
 * pushes are issued in one go (no await between them), so reads that check at the same time keep
 * the scope stack balanced.
 */
async function check(device: DeviceLike, what: string): Promise<void> {
  const popped = [...SCOPES].reverse().map((scope) => device.popErrorScope().then((e) => (e ? { scope, message: e.message } : undefined)));
  for (const scope of SCOPES) device.pushErrorScope(scope);
  const waiting = pending;
  pending = [];
  await Promise.all(waiting);
  const outer = (await Promise.all(popped)).filter((e): e is { scope: (typeof SCOPES)[number]; message: string } => e !== undefined);
  if (lost !== undefined) throw new WebGpuError(`the GPU device was lost (${lost}); results after it cannot be trusted`);
  const first = caught.shift();
  caught.length = 0;
  if (first) throw new WebGpuError(`WebGPU ${first.scope} error in ${first.program} while ${what}: ${oneLine(first.message)}`);
  if (outer.length) throw new WebGpuError(`WebGPU ${outer[0]!.scope} error outside any one program while ${what}: ${oneLine(outer[0]!.message)}`);
}

/** Installs the guard on the active webgpu backend (once). */
export function guardWebGpu(backend: unknown): void {
  if (installed) return;
  installed = true;
  const b = backend as WebGpuBackendLike;
  const device = b.device;
  for (const scope of SCOPES) device.pushErrorScope(scope);
  void device.lost.then((info) => {
    lost = `${info.reason ?? 'unknown'}: ${info.message}`;
  });
  const run = b.runWebGPUProgram.bind(b);
  b.runWebGPUProgram = (program, inputs, ...rest) => {
    device.pushErrorScope('validation');
    device.pushErrorScope('out-of-memory');
    // Named only when something failed: this runs for every dispatch.
    const name = (): string => `${program.constructor.name} (${[...inputs.map((i) => `[${i.shape.join(', ')}]`), ...(program.outputShape ? [`→ [${program.outputShape.join(', ')}]`] : [])].join(' ')})`;
    try {
      return run(program, inputs, ...rest);
    } catch (e) {
      // tfjs's own checks of the device's limits (e.g. a dispatch too large) throw plain errors.
      throw e instanceof WebGpuError ? e : new WebGpuError(`WebGPU cannot run ${name()}: ${oneLine(e instanceof Error ? e.message : String(e))}`);
    } finally {
      for (const scope of ['out-of-memory', 'validation']) {
        pending.push(device.popErrorScope().then((e) => void (e && caught.push({ scope, program: name(), message: e.message }))));
      }
    }
  };
  const read = b.read.bind(b);
  b.read = async (dataId) => {
    const values = await read(dataId);
    await check(device, 'reading a result back from the GPU');
    return values;
  };
}
