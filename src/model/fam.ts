import { add, conv, multiply, type T } from './layers';

/** MIMO-UNet's feature attention module: FAM(x, z) = x + conv3×3(x ⊙ z), z = SCM(B_k). */
export function fam(x: T, z: T, channels: number, name: string): T {
  const merged = conv(multiply([x, z], `${name}_mul`), { filters: channels, kernel: 3, name: `${name}_merge` });
  return add([x, merged], `${name}_add`);
}
