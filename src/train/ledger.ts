import * as os from 'node:os';

/**
 * A run's ledger: one segment per sitting (a process that trained it), with the steps it added,
 * its training wall time, and what ran it. It lives in the checkpoint's state and a segment is
 * updated when a checkpoint is written, so the ledger always describes exactly the steps that
 * checkpoint holds: steps lost to a crash after it are not counted.
 */
export interface LedgerSegment {
  /** ISO time the sitting began, and of its latest checkpoint. */
  started: string;
  ended: string;
  fromStep: number;
  toStep: number;
  /** Training wall time of the segment's steps (evaluations and start-up excluded). */
  seconds: number;
  backend: string;
  /** The backend report's device, e.g. "XNNPACK, SIMD, 1 thread; native kernels (oneDNN 2.6.3), 1 thread". */
  device: string;
  /** The machine: processor model and cores, or the GPU. */
  host: string;
  /** Whether the steps ran on a GPU (hardware adapter) or on CPU cores. */
  processor: 'cpu' | 'gpu';
  note?: string;
}

/** "AMD EPYC 7B13 (2 cores)": the processor the CPU backends run on. */
export function cpuDescription(): string {
  const cpus = os.cpus();
  return `${(cpus[0]?.model ?? 'unknown processor').replace(/\s+/g, ' ').trim()} (${cpus.length} core${cpus.length === 1 ? '' : 's'})`;
}

/**
 * Whether a backend and its device line mean GPU work. webgpu on a software adapter (llvmpipe,
 * lavapipe, SwiftShader) is CPU work; tensorflow (tfjs-node-gpu) says GPU in its device line.
 */
export function processorOf(backend: string, device: string): 'cpu' | 'gpu' {
  if (/llvmpipe|lavapipe|swiftshader|software/i.test(device)) return 'cpu';
  if (backend === 'webgpu') return 'gpu';
  if (/cuda|gpu/i.test(device) || /cuda/.test(backend)) return 'gpu';
  return 'cpu';
}

export function newSegment(step: number, backend: string, device: string, now = new Date()): LedgerSegment {
  const processor = processorOf(backend, device);
  return {
    started: now.toISOString(),
    ended: now.toISOString(),
    fromStep: step,
    toStep: step,
    seconds: 0,
    backend,
    device,
    host: processor === 'gpu' ? device : cpuDescription(),
    processor,
  };
}

/**
 * The ledger of a state written before ledgers were kept: one segment for all its earlier
 * sittings, from what the state recorded (its step count, total seconds, last backend and device).
 */
export function legacyLedger(s: { step: number; seconds: number; backend: string; device?: string }): LedgerSegment[] {
  if (s.step === 0) return [];
  const device = s.device ?? 'not recorded';
  const processor = processorOf(s.backend, device);
  return [
    {
      started: '',
      ended: '',
      fromStep: 0,
      toStep: s.step,
      seconds: s.seconds,
      backend: s.backend,
      device,
      host: processor === 'gpu' ? device : 'not recorded',
      processor,
      note: 'trained before the ledger was kept: every earlier sitting in one entry (backend and device of the last one)',
    },
  ];
}

export interface LedgerSummary {
  steps: number;
  segments: number;
  cpuHours: number;
  gpuMinutes: number;
}

export function summarizeLedger(ledger: readonly LedgerSegment[]): LedgerSummary {
  let cpu = 0;
  let gpu = 0;
  let steps = 0;
  for (const s of ledger) {
    steps += s.toStep - s.fromStep;
    if (s.processor === 'gpu') gpu += s.seconds;
    else cpu += s.seconds;
  }
  return { steps, segments: ledger.length, cpuHours: cpu / 3600, gpuMinutes: gpu / 60 };
}
