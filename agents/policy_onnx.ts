/**
 * Export of a {@link PolicyNetwork} to an ONNX model (opset 13), so that its forward pass runs on
 * onnxruntime, the fastest CPU path for inference (see `deno task bench:torch`). Training stays on
 * tfjs; an export is a snapshot of the weights at the time of the call.
 *
 * Input {@link POLICY_ONNX_INPUT} [N, z, y, x, c] float32: observations AFTER the network's intensity
 * window ({@link PolicyNetwork.normalizeInPlace}), the same buffer a tfjs forward takes. Outputs
 * {@link POLICY_ONNX_LOGITS} [N, actions] (unnormalised) and {@link POLICY_ONNX_VALUE} [N, 1].
 *
 * The graph follows `PolicyNetwork.forward` op by op: `Transpose` to [N, c, z, y, x]; per trunk
 * layer a `Conv` (kernel k, stride 2 with `downsample: "stride"`, else stride 1 then a 2x2x2
 * `MaxPool`; tfjs 'same' pads: the odd voxel of padding at the end) with its bias, then `Relu`;
 * `Transpose` back to channels last and `Flatten` (tfjs' row order); the hidden layer as `Gemm` +
 * `Relu`; the two heads as `Gemm`. A separate value trunk (`sharedTrunk: false`) is a second branch.
 *
 * @module
 */
import { OnnxGraph } from "../models/onnx_graph.ts";
import type { PolicyNetwork } from "./policy_network.ts";
import type { NamedWeight } from "./snapshot.ts";

/** Name of the exported policy's input ([N, z, y, x, c], normalised observations). */
export const POLICY_ONNX_INPUT = "observation";
/** Name of the exported policy's logits output ([N, actions]). */
export const POLICY_ONNX_LOGITS = "logits";
/** Name of the exported policy's value output ([N, 1]). */
export const POLICY_ONNX_VALUE = "value";

/** tfjs 'same' pads of one axis, ONNX order [begin, end]: the odd voxel of padding at the end. */
function samePads(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** A conv kernel from tfjs' [kz, ky, kx, in, out] to ONNX's [out, in, kz, ky, kx]. */
function onnxKernel(w: NamedWeight): Float32Array {
  const [kz, ky, kx, cin, cout] = w.shape;
  const taps = kz * ky * kx, out = new Float32Array(w.values.length);
  for (let t = 0; t < taps; t++) {
    for (let i = 0; i < cin; i++) {
      for (let o = 0; o < cout; o++) out[(o * cin + i) * taps + t] = w.values[(t * cin + i) * cout + o];
    }
  }
  return out;
}

/**
 * Serialises the network's current weights and forward pass as an ONNX model.
 *
 * @param network the policy (not modified)
 * @returns the `.onnx` bytes (inputs and outputs named by the constants above)
 */
export async function exportPolicyToOnnx(network: PolicyNetwork): Promise<Uint8Array> {
  const a = network.architecture;
  const weights = new Map((await network.getWeights()).map((w) => [w.name, w]));
  const get = (name: string): NamedWeight => weights.get(name)!;
  const g = new OnnxGraph(POLICY_ONNX_INPUT);
  const channelsFirst = g.add("Transpose", "observation/channels_first", [POLICY_ONNX_INPUT], [
    { name: "perm", ints: [0, 4, 1, 2, 3] },
  ]);
  const pool = a.downsample === "pool", stride = pool ? 1 : 2;

  const features = (prefix: string): string => {
    g.current = channelsFirst;
    let shape = [...a.observationShape];
    a.convChannels.forEach((out, i) => {
      const name = `${prefix}/conv${i + 1}`;
      const kernel = get(`${name}/kernel`), bias = get(`${name}/bias`);
      const pads = shape.map((n) => samePads(n, a.kernelSize, stride));
      g.chain("Conv", name, [
        g.weight(
          `${name}/kernel`,
          [out, kernel.shape[3], a.kernelSize, a.kernelSize, a.kernelSize],
          onnxKernel(kernel),
        ),
        g.weight(`${name}/bias`, [out], bias.values),
      ], [
        { name: "kernel_shape", ints: [a.kernelSize, a.kernelSize, a.kernelSize] },
        { name: "strides", ints: [stride, stride, stride] },
        { name: "pads", ints: [...pads.map((p) => p[0]), ...pads.map((p) => p[1])] },
      ]);
      g.chain("Relu", `${name}/relu`);
      shape = shape.map((n) => Math.ceil(n / stride));
      if (pool) {
        const poolPads = shape.map((n) => samePads(n, 2, 2));
        g.chain("MaxPool", `${name}/pool`, [], [
          { name: "kernel_shape", ints: [2, 2, 2] },
          { name: "strides", ints: [2, 2, 2] },
          { name: "pads", ints: [...poolPads.map((p) => p[0]), ...poolPads.map((p) => p[1])] },
        ]);
        shape = shape.map((n) => Math.ceil(n / 2));
      }
    });
    g.chain("Transpose", `${prefix}/channels_last`, [], [{ name: "perm", ints: [0, 2, 3, 4, 1] }]);
    g.chain("Flatten", `${prefix}/flatten`, [], [{ name: "axis", int: 1 }]);
    const hidden = get(`${prefix}/hidden/kernel`);
    g.chain("Gemm", `${prefix}/hidden`, [
      g.weight(`${prefix}/hidden/kernel`, hidden.shape, hidden.values),
      g.weight(`${prefix}/hidden/bias`, [hidden.shape[1]], get(`${prefix}/hidden/bias`).values),
    ]);
    g.chain("Relu", `${prefix}/hidden/relu`);
    return g.current;
  };

  const head = (from: string, name: string, output: string): void => {
    const kernel = get(`${name}/kernel`);
    g.add(
      "Gemm",
      name,
      [
        from,
        g.weight(`${name}/kernel`, kernel.shape, kernel.values),
        g.weight(`${name}/bias`, [kernel.shape[1]], get(`${name}/bias`).values),
      ],
      [],
      output,
    );
  };
  const policyFeatures = features("policy");
  const valueFeatures = a.sharedTrunk ? policyFeatures : features("value");
  head(policyFeatures, "policy/logits", POLICY_ONNX_LOGITS);
  head(valueFeatures, "value/output", POLICY_ONNX_VALUE);
  return g.model({
    name: "spars_policy",
    inputs: [[POLICY_ONNX_INPUT, ["N", ...a.observationShape, a.channels]]],
    outputs: [[POLICY_ONNX_LOGITS, ["N", a.actions]], [POLICY_ONNX_VALUE, ["N", 1]]],
    docString: `SPARS Gym policy, observation ${a.observationShape.join("x")}x${a.channels}`,
  });
}
