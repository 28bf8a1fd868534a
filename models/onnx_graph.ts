/**
 * A small builder of ONNX graphs (opset 13) over the hand-written protobuf of `onnx_proto.ts`: nodes
 * appended in order, weights as initializers, and the finished `ModelProto` bytes. The classifier's
 * export (`onnx_export.ts`) and the policy's (`agents/policy_onnx.ts`) build on it.
 *
 * @module
 */
import {
  type Attribute,
  attributeProto,
  floatTensor,
  int64Tensor,
  ProtoWriter,
  valueInfo,
} from "./onnx_proto.ts";

export type { Attribute };

/** The ONNX operator set the exported graphs use. */
export const ONNX_OPSET = 13;
/** ONNX IR version written (IR 7 is the one of opset 13, ONNX 1.8). */
export const ONNX_IR_VERSION = 7;

/** A graph input or output: its name and dims (a string names a symbolic dim such as "N"). */
export type OnnxValueInfo = readonly [name: string, dims: readonly (number | string)[]];

/** Accumulates nodes and initializers; `current` is the value the next node of a chain consumes. */
export class OnnxGraph {
  readonly #nodes: ProtoWriter[] = [];
  readonly #initializers: ProtoWriter[] = [];
  /** The value the next {@link chain} consumes. */
  current: string;

  /**
   * Starts an empty graph.
   * @param input the name of the value the first chained node consumes (the graph input)
   */
  constructor(input: string) {
    this.current = input;
  }

  /** Adds a float32 initializer; returns its name. */
  weight(name: string, dims: readonly number[], values: Float32Array): string {
    this.#initializers.push(floatTensor(name, dims, values));
    return name;
  }
  /** Adds an int64 initializer (a shape, axes, indices); returns its name. */
  ints(name: string, values: readonly number[], dims?: readonly number[]): string {
    this.#initializers.push(int64Tensor(name, values, dims));
    return name;
  }
  /** Appends a node; returns its output's name. */
  add(
    op: string,
    name: string,
    inputs: readonly string[],
    attributes: Attribute[] = [],
    output = `${name}:out`,
  ): string {
    const w = new ProtoWriter();
    for (const input of inputs) w.string(1, input);
    w.string(2, output).string(3, name).string(4, op);
    for (const a of attributes) w.message(5, attributeProto(a));
    this.#nodes.push(w);
    return output;
  }
  /** Appends a node consuming `current` (then `extra`); its output becomes `current`. */
  chain(op: string, name: string, extra: readonly string[] = [], attributes: Attribute[] = []): void {
    this.current = this.add(op, name, [this.current, ...extra], attributes);
  }
  /** Chains a `Reshape` to `dims` (-1: inferred). */
  reshape(name: string, dims: readonly number[]): void {
    this.chain("Reshape", name, [this.ints(`${name}/shape`, dims)]);
  }
  /** The serialised `ModelProto` of this graph (IR {@link ONNX_IR_VERSION}, opset {@link ONNX_OPSET}). */
  model(options: {
    name: string;
    inputs: readonly OnnxValueInfo[];
    outputs: readonly OnnxValueInfo[];
    docString: string;
  }): Uint8Array {
    const graph = new ProtoWriter();
    for (const n of this.#nodes) graph.message(1, n);
    graph.string(2, options.name);
    for (const t of this.#initializers) graph.message(5, t);
    for (const [name, dims] of options.inputs) graph.message(11, valueInfo(name, dims));
    for (const [name, dims] of options.outputs) graph.message(12, valueInfo(name, dims));
    return new ProtoWriter()
      .int(1, ONNX_IR_VERSION)
      .string(2, "spars-gym")
      .string(3, "0.1.0")
      .string(6, options.docString)
      .message(7, graph)
      .message(8, new ProtoWriter().string(1, "").int(2, ONNX_OPSET))
      .finish();
  }
}
