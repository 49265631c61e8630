/** A convolution the kernel tests run: input and filter shapes, stride, padding and dilation. */
export type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];

export interface ConvCase {
  x: [number, number, number, number];
  f: [number, number, number, number];
  stride: number;
  pad: Pad;
  dilation?: number;
}
