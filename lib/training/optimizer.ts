/**
 * Stochastic gradient descent with momentum and weight decay, exactly as `torch.optim.SGD`
 * (dampening 0), which clovaai/CutMix-PyTorch uses with momentum 0.9, Nesterov, weight decay 1e-4
 * on *all* parameters (batch-norm γ/β and biases included):
 *
 *   d = g + wd · p
 *   v ← μ · v + d                      (v starts at 0, so the first v is d, as PyTorch's)
 *   p ← p − lr · (d + μ · v)           (Nesterov)   or   p ← p − lr · v   (classic)
 *
 * The weight decay is L2 added to the gradient (coupled), not AdamW-style decoupled decay.
 * Variables of the same shape are updated as one stacked tensor (see `ShapeGroup`); the momentum
 * buffers live stacked too, and {@link SGD.state} / {@link SGD.loadState} round-trip them per
 * variable through checkpoints.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import { SGD } from "./optimizer.ts";
 * const w = tf.variable(tf.tensor1d([1, 2]));
 * const sgd = new SGD(new Map([["w", w]]), { momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
 * const { grads, value } = tf.variableGrads(() => w.square().sum(), [w]);
 * sgd.step(new Map([["w", grads[w.name]]]), 0.1);
 * tf.dispose([value, ...Object.values(grads)]);
 * sgd.dispose();
 * ```
 * @module
 */
import type { Tensor, Variable } from "@tensorflow/tfjs-core";
import * as tf from "@tensorflow/tfjs-core";
import type { StoredTensor } from "./checkpoint.ts";

/** Hyper-parameters of {@link SGD} (the learning rate is passed per step). */
export interface SGDOptions {
  /** μ ∈ [0, 1): 0.9 in the paper. */
  readonly momentum: number;
  /** Nesterov momentum (the official CutMix code: true). */
  readonly nesterov: boolean;
  /** L2 coefficient added to the gradient, ≥ 0: 1e-4 in the paper. */
  readonly weightDecay: number;
}

/** Throws unless `options` are valid. */
export function validateSGDOptions(options: SGDOptions): SGDOptions {
  if (!(options.momentum >= 0 && options.momentum < 1)) {
    throw new Error(`momentum must be in [0, 1), got ${options.momentum}`);
  }
  if (typeof options.nesterov !== "boolean") {
    throw new Error(`nesterov must be a boolean, got ${JSON.stringify(options.nesterov)}`);
  }
  if (options.nesterov && options.momentum === 0) {
    throw new Error("nesterov needs momentum > 0, got momentum 0");
  }
  if (!(options.weightDecay >= 0) || !Number.isFinite(options.weightDecay)) {
    throw new Error(`weightDecay must be a finite number >= 0, got ${options.weightDecay}`);
  }
  return options;
}

/**
 * Variables of one shape, updated together. Each TensorFlow op costs a fixed overhead (measured:
 * ~25–100 µs on 2 cores) whatever its size, and a per-variable update is 8 ops: 520 for
 * ResNet-20's 65 variables, more than half of a training step's kernel calls. Stacked by shape
 * (ResNet-20 has 13 shapes), the same arithmetic is ~120 ops, with bit-identical results.
 */
interface ShapeGroup {
  readonly names: readonly string[];
  readonly variables: readonly Variable[];
  /** The momentum buffers, stacked `[k, ...shape]` (or `shape` itself when k = 1). */
  readonly velocity: Variable;
}

/** SGD over a fixed, named set of variables. */
export class SGD {
  /** The hyper-parameters, validated. */
  readonly options: SGDOptions;
  readonly #groups: ShapeGroup[] = [];
  /** The variables' names in the order given (the order of {@link state}). */
  readonly #names: string[];
  /**
   * `momentum` and `weightDecay` as tensors, made once: tfjs turns a number operand into a new
   * scalar tensor on every call, four per group and step otherwise.
   */
  readonly #scalars: { momentum: Tensor; weightDecay: Tensor };

  /**
   * An optimizer for `variables` with zero momentum buffers. Throws naming a bad option (see
   * {@link validateSGDOptions}). The buffers are tfjs variables: free them with `dispose`.
   *
   * @param variables the trainable variables by name (the names key the optimizer state).
   */
  constructor(variables: Map<string, Variable>, options: SGDOptions) {
    this.options = validateSGDOptions(options);
    this.#names = [...variables.keys()];
    this.#scalars = {
      momentum: tf.scalar(this.options.momentum),
      weightDecay: tf.scalar(this.options.weightDecay),
    };
    const byShape = new Map<string, { names: string[]; variables: Variable[] }>();
    for (const [name, v] of variables) {
      const key = `${v.dtype}[${v.shape}]`;
      const group = byShape.get(key) ?? { names: [], variables: [] };
      group.names.push(name);
      group.variables.push(v);
      byShape.set(key, group);
    }
    for (const { names, variables: vs } of byShape.values()) {
      const shape = vs.length === 1 ? vs[0].shape : [vs.length, ...vs[0].shape];
      // Inside tidy: the zeros the variable starts from would otherwise outlive it.
      const velocity = tf.tidy(() => tf.variable(tf.zeros(shape), false));
      this.#groups.push({ names, variables: vs, velocity });
    }
  }

  /**
   * One update with learning rate `lr` from `grads` (by variable name; every variable must have
   * one). Does not dispose `grads`.
   */
  step(grads: Map<string, Tensor>, lr: number): void {
    if (!(lr >= 0) || !Number.isFinite(lr)) {
      throw new Error(`lr must be a finite number >= 0, got ${lr}`);
    }
    const { momentum, nesterov, weightDecay } = this.options;
    const scalars = this.#scalars;
    tf.tidy(() => {
      const learningRate = tf.scalar(lr);
      for (const { names, variables, velocity } of this.#groups) {
        const gs = names.map((name) => {
          const g = grads.get(name);
          if (g === undefined) throw new Error(`SGD.step: no gradient for variable "${name}"`);
          return g;
        });
        const stacked = variables.length > 1;
        const g = stacked ? tf.stack(gs) : gs[0];
        const p: Tensor = stacked ? tf.stack(variables as Variable[]) : variables[0];
        const d = weightDecay > 0 ? tf.add(g, tf.mul(p, scalars.weightDecay)) : g;
        let update: Tensor = d;
        if (momentum > 0) {
          const next = tf.add(tf.mul(velocity, scalars.momentum), d);
          velocity.assign(next);
          update = nesterov ? tf.add(d, tf.mul(next, scalars.momentum)) : next;
        }
        const updated = tf.sub(p, tf.mul(update, learningRate));
        if (stacked) tf.unstack(updated).forEach((u, i) => variables[i].assign(u));
        else variables[0].assign(updated);
      }
    });
  }

  /** The momentum buffers by variable name, as values (for checkpoints; see {@link loadState}). */
  state(): Map<string, StoredTensor> {
    const byName = new Map<string, StoredTensor>();
    for (const { names, variables, velocity } of this.#groups) {
      const all = velocity.dataSync() as Float32Array;
      const size = all.length / names.length;
      names.forEach((name, i) =>
        byName.set(name, {
          shape: [...variables[i].shape],
          values: all.slice(i * size, (i + 1) * size),
        })
      );
    }
    return new Map(this.#names.map((name) => [name, byName.get(name)!]));
  }

  /** Restores momentum buffers saved by {@link state}. */
  loadState(values: Map<string, StoredTensor>): void {
    for (const { names, variables, velocity } of this.#groups) {
      const size = variables[0].size;
      const all = new Float32Array(size * names.length);
      names.forEach((name, i) => {
        const saved = values.get(name);
        if (saved === undefined) throw new Error(`SGD.loadState: no saved momentum for "${name}"`);
        if (saved.shape.join() !== variables[i].shape.join()) {
          throw new Error(
            `SGD.loadState: "${name}" has shape [${saved.shape}], expected [${variables[i].shape}]`,
          );
        }
        all.set(saved.values, i * size);
      });
      tf.tidy(() => velocity.assign(tf.tensor(all, velocity.shape, "float32")));
    }
  }

  /** Frees the momentum buffers (not the model's variables). */
  dispose(): void {
    for (const { velocity } of this.#groups) velocity.dispose();
    this.#groups.length = 0;
    tf.dispose([this.#scalars.momentum, this.#scalars.weightDecay]);
  }
}
