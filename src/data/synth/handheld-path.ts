import type { Rng } from '../../random';
import { cornerExtent, DEFAULT_POSES, type CameraPath, type Pose } from './camera-path';

/** GoPro's capture rate: its blurred frames average consecutive frames of 240 fps video. */
export const GOPRO_FPS = 240;

/**
 * A second, independent model of hand-held camera motion, written to GoPro's recipe rather than
 * the lab's own shake (camera-path.ts): the camera's angular velocity is followed frame by frame
 * at 240 fps — a drift, a constant angular acceleration (a hand starting or stopping a swing) and
 * physiological tremor (two sinusoids of 6–12 Hz per axis, the band of hand tremor) — yaw and
 * pitch move the image, roll turns it about the centre. The sharp image is the middle captured
 * frame, as in GoPro, not the mean pose, so streaks that curve or speed up are off-centre.
 *
 * The evaluation's `gopro` generator uses it; no training mixture does, so a network trained
 * on the lab's data meets its path statistics and its sharp-frame convention for the first time.
 */
export function handheldPath(rng: Rng, width: number, height: number, o: { extent: number; poses?: readonly [number, number] }): CameraPath {
  const [lo, hi] = o.poses ?? DEFAULT_POSES;
  if (!(lo >= 2 && hi >= lo)) throw new Error(`handheldPath: poses must be ≥ 2 (got ${lo}–${hi})`);
  if (!(o.extent >= 0)) throw new Error(`handheldPath: extent must be ≥ 0 (got ${o.extent})`);
  const count = rng.int(lo, hi);
  const radius = Math.hypot(width, height) / 2;
  const dt = 1 / GOPRO_FPS;

  // Units are arbitrary (the path is rescaled to the extent at the end); only shapes matter.
  const heading = rng.uniform(0, 2 * Math.PI);
  const drift = [Math.cos(heading), Math.sin(heading), rng.uniform(-0.5, 0.5)];
  // Over the ~30–55 ms of a blurred frame, an acceleration of 20–60 /s² changes the velocity by about as much as the drift.
  const accelHeading = rng.uniform(0, 2 * Math.PI);
  const accelSize = rng.uniform(0, 60);
  const accel = [Math.cos(accelHeading) * accelSize, Math.sin(accelHeading) * accelSize, rng.normal() * 0.3 * accelSize];
  const tremor = [0, 1, 2].map(() =>
    [0, 1].map(() => ({ amplitude: rng.uniform(0, 0.8), hz: rng.uniform(6, 12), phase: rng.uniform(0, 2 * Math.PI) })),
  );
  const velocity = (axis: number, t: number): number =>
    drift[axis]! + accel[axis]! * t + tremor[axis]!.reduce((s, w) => s + w.amplitude * Math.sin(2 * Math.PI * w.hz * t + w.phase), 0);

  const raw: Pose[] = [];
  const at = [0, 0, 0];
  for (let i = 0; i < count; i++) {
    if (i > 0) for (let a = 0; a < 3; a++) at[a]! += velocity(a, (i - 0.5) * dt) * dt; // midpoint rule
    raw.push({ dx: at[0]!, dy: at[1]!, theta: at[2]! / radius });
  }
  const middle = raw[Math.floor((count - 1) / 2)]!;
  let poses = raw.map((p) => ({ dx: p.dx - middle.dx, dy: p.dy - middle.dy, theta: p.theta - middle.theta }));
  const scale = (k: number): Pose[] => poses.map((p) => ({ dx: p.dx * k, dy: p.dy * k, theta: p.theta * k }));
  if (o.extent === 0 || cornerExtent(poses, width, height) === 0) return { poses: scale(0), width, height, extent: 0 };
  for (let k = 0; k < 6; k++) poses = scale(o.extent / cornerExtent(poses, width, height));
  return { poses, width, height, extent: cornerExtent(poses, width, height) };
}
