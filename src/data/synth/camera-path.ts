import type { Rng } from '../../random';

/**
 * One camera pose during the exposure, relative to the sharp frame's pose (the mean pose): a rotation
 * `theta` (radians) about the frame centre, then a translation (dx, dy) in pixels. A sharp-frame
 * point p appears at R(θ)(p − c) + c + d.
 */
export interface Pose {
  dx: number;
  dy: number;
  theta: number;
}

export interface CameraPath {
  poses: Pose[];
  /** The frame the path was made for (rotation is about its centre). */
  width: number;
  height: number;
  /** The largest distance an image corner travels over the path, in pixels. */
  extent: number;
}

export interface CameraPathOptions {
  /** Blur extent L in pixels: the path is scaled so that `cornerExtent` equals it. */
  extent: number;
  /** Poses (averaged frames): a number, or an inclusive range to draw from. GoPro: 7–13. */
  poses?: number | readonly [number, number];
  /** Largest share of the extent that in-plane rotation may contribute (0 = pure translation). */
  rotationShare?: number;
  /** Hand-tremor amplitude relative to the smooth motion. */
  tremor?: number;
  /**
   * Which pose the sharp image shows: 'mean' (default: every streak centred on the sharp image) or
   * 'middle' (GoPro's convention: the middle captured frame, so a curved or accelerating streak
   * is off-centre and a pair has a small net shift between its images).
   */
  sharpFrame?: SharpFrame;
}

export type SharpFrame = 'mean' | 'middle';
export const SHARP_FRAMES: readonly SharpFrame[] = ['mean', 'middle'];

export const DEFAULT_POSES: readonly [number, number] = [7, 13];

/** Where pose `p` puts the sharp-frame point (x, y) of a width × height frame. */
export function applyPose(p: Pose, x: number, y: number, width: number, height: number): [number, number] {
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const c = Math.cos(p.theta);
  const s = Math.sin(p.theta);
  return [c * (x - cx) - s * (y - cy) + cx + p.dx, s * (x - cx) + c * (y - cy) + cy + p.dy];
}

/** Max over the four frame corners of the largest distance between two positions of that corner. */
export function cornerExtent(poses: readonly Pose[], width: number, height: number): number {
  let extent = 0;
  for (const [x, y] of [[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]] as const) {
    const pts = poses.map((p) => applyPose(p, x, y, width, height));
    for (let i = 0; i < pts.length; i++) {
      for (let j = i + 1; j < pts.length; j++) extent = Math.max(extent, Math.hypot(pts[i]![0] - pts[j]![0], pts[i]![1] - pts[j]![1]));
    }
  }
  return extent;
}

export function meanPose(poses: readonly Pose[]): Pose {
  const n = poses.length;
  return poses.reduce((m, p) => ({ dx: m.dx + p.dx / n, dy: m.dy + p.dy / n, theta: m.theta + p.theta / n }), { dx: 0, dy: 0, theta: 0 });
}

function scaled(poses: readonly Pose[], k: number): Pose[] {
  return poses.map((p) => ({ dx: p.dx * k, dy: p.dy * k, theta: p.theta * k }));
}

/**
 * A short, smooth, random hand-held camera path, like the ~30–50 ms of 240 fps video that GoPro
 * averaged into one blurred frame: a drift with constant acceleration (so streaks curve), hand
 * tremor (a smoothed random walk), and a small in-plane rotation (so blur varies across the frame).
 * The whole path is then scaled so that the blur extent is exactly `extent` pixels.
 */
export function randomCameraPath(rng: Rng, width: number, height: number, o: CameraPathOptions): CameraPath {
  const [lo, hi] = typeof o.poses === 'number' ? [o.poses, o.poses] : (o.poses ?? DEFAULT_POSES);
  if (!(lo >= 2 && hi >= lo)) throw new Error(`randomCameraPath: poses must be ≥ 2 (got ${lo}–${hi})`);
  if (!(o.extent >= 0)) throw new Error(`randomCameraPath: extent must be ≥ 0 (got ${o.extent})`);
  const count = rng.int(lo, hi);
  const rotationShare = o.rotationShare ?? 0.35;
  const tremor = o.tremor ?? 0.15;
  const radius = Math.hypot(width, height) / 2; // converts an angle to corner travel in pixels

  const heading = rng.uniform(0, 2 * Math.PI);
  const accelHeading = rng.uniform(0, 2 * Math.PI);
  const accel = rng.uniform(0, 2); // curvature, relative to the drift speed
  const spin = rng.uniform(-1, 1) * rotationShare;
  const spinAccel = rng.normal() * 0.5 * rotationShare;
  const walk = { x: 0, y: 0, a: 0 };
  const raw: Pose[] = [];
  for (let i = 0; i < count; i++) {
    const t = i / (count - 1) - 0.5; // exposure time, the sharp frame at t = 0
    walk.x = 0.6 * walk.x + tremor * rng.normal();
    walk.y = 0.6 * walk.y + tremor * rng.normal();
    walk.a = 0.6 * walk.a + tremor * rotationShare * rng.normal();
    raw.push({
      dx: Math.cos(heading) * t + 0.5 * accel * Math.cos(accelHeading) * t * t + walk.x / count,
      dy: Math.sin(heading) * t + 0.5 * accel * Math.sin(accelHeading) * t * t + walk.y / count,
      theta: (spin * t + 0.5 * spinAccel * t * t + walk.a / count) / radius,
    });
  }
  // By default the sharp frame is the mean pose (for smooth motion, about GoPro's middle frame):
  // subtracting it centres every streak on the sharp image, so a pair has no net shift between its
  // images. GoPro's own convention subtracts the middle captured frame instead.
  const ref = (o.sharpFrame ?? 'mean') === 'mean' ? meanPose(raw) : raw[Math.floor((count - 1) / 2)]!;
  let poses = raw.map((p) => ({ dx: p.dx - ref.dx, dy: p.dy - ref.dy, theta: p.theta - ref.theta }));
  // Corner travel is almost linear in the scale (angles are small): a few fixed-point steps hit L.
  if (o.extent === 0) return { poses: scaled(poses, 0), width, height, extent: 0 };
  for (let k = 0; k < 6; k++) poses = scaled(poses, o.extent / cornerExtent(poses, width, height));
  return { poses, width, height, extent: cornerExtent(poses, width, height) };
}
