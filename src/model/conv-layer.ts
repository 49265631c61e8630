import * as tf from '@tensorflow/tfjs';
import { convBiasAct } from '../kernels/gradients/conv-bias-act';

/**
 * tfjs-layers' Conv2D, computing `[relu](conv(x) + bias)` with the lab's fused op
 * (kernels/gradients/conv-bias-act.ts), which stays one kernel when gradients are recorded, where tfjs's
 * unfuses it into four forward and six backward kernels. Nothing else differs: the same class
 * name, config, weights and saved model.json, so a saved network still loads anywhere with plain
 * `tf.loadLayersModel`. Registered under tfjs's own name 'Conv2D', so networks this lab loads
 * use it too. Convolutions it does not handle (no bias, channels first, dilations, other
 * activations) run tfjs's own code.
 */

/** The fields of tfjs-layers' Conv2D this reads (tfjs-layers 4.22; all set by its constructor and build). */
interface ConvFields {
  kernel: { read(): tf.Tensor } | null;
  bias: { read(): tf.Tensor } | null;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number | number[];
  activation: { getClassName(): string } | null;
}

type LayerClass = new (args: tf.layers.Layer extends never ? never : object) => tf.layers.Layer;
const StockConv2D = tf.layers.conv2d({ filters: 1, kernelSize: 1 }).constructor as LayerClass;

export class LabConv2D extends StockConv2D {
  /** tfjs's name for its Conv2D: serialised networks name the stock class. */
  static className = 'Conv2D';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const c = this as unknown as ConvFields;
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const activation = c.activation?.getClassName();
    const dilations = typeof c.dilationRate === 'number' ? [c.dilationRate] : c.dilationRate;
    const fusable =
      c.kernel !== null && c.bias !== null && x.rank === 4 && c.dataFormat === 'channelsLast' && (c.padding === 'same' || c.padding === 'valid') &&
      (activation === 'relu' || activation === 'linear') && dilations.every((d) => d === 1) && c.strides.length === 2;
    if (!fusable) return super.call(inputs, kwargs);
    return tf.tidy(() =>
      convBiasAct(x as tf.Tensor4D, c.kernel!.read() as tf.Tensor4D, c.bias!.read() as tf.Tensor1D, { strides: [c.strides[0]!, c.strides[1]!], pad: c.padding as 'same' | 'valid' }, activation as 'relu' | 'linear'),
    );
  }
}

// Deserialising a 'Conv2D' now makes this class (tfjs looks classes up by this name at load).
tf.serialization.SerializationMap.register(LabConv2D as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** A Conv2D layer of the lab's class, with tfjs's `tf.layers.conv2d` arguments. */
export function labConv2d(args: Parameters<typeof tf.layers.conv2d>[0]): tf.layers.Layer {
  return new LabConv2D(args);
}
