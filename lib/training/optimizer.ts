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
 * Momentum buffers are variables: {@link SGD.state} and {@link SGD.loadState} round-trip them
 * through checkpoints.
 *
 * @example
 * ```ts
 * import { tf } from "../backend.ts";
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
import type { Tensor, Variable } from "@tensorflow/tfjs-node";
import { tf } from "../backend.ts";

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

/** SGD over a fixed, named set of variables. */
export class SGD {
  readonly options: SGDOptions;
  readonly #variables: Map<string, Variable>;
  readonly #velocity: Map<string, Variable> = new Map();

  /** @param variables the trainable variables by name (the names key the optimizer state). */
  constructor(variables: Map<string, Variable>, options: SGDOptions) {
    this.options = validateSGDOptions(options);
    this.#variables = variables;
    for (const [name, v] of variables) {
      this.#velocity.set(name, tf.variable(tf.zerosLike(v), false));
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
    tf.tidy(() => {
      for (const [name, p] of this.#variables) {
        const g = grads.get(name);
        if (g === undefined) throw new Error(`SGD.step: no gradient for variable "${name}"`);
        const d = weightDecay > 0 ? tf.add(g, tf.mul(p, weightDecay)) : g;
        let update: Tensor = d;
        if (momentum > 0) {
          const v = this.#velocity.get(name)!;
          const next = tf.add(tf.mul(v, momentum), d);
          v.assign(next);
          update = nesterov ? tf.add(d, tf.mul(next, momentum)) : next;
        }
        p.assign(tf.sub(p, tf.mul(update, lr)));
      }
    });
  }

  /** The momentum buffers by variable name (live variables: copy before mutating). */
  state(): Map<string, Variable> {
    return this.#velocity;
  }

  /** Restores momentum buffers saved by {@link state}. */
  loadState(values: Map<string, { shape: readonly number[]; values: Float32Array }>): void {
    for (const [name, v] of this.#velocity) {
      const saved = values.get(name);
      if (saved === undefined) throw new Error(`SGD.loadState: no saved momentum for "${name}"`);
      if (saved.shape.join() !== v.shape.join()) {
        throw new Error(
          `SGD.loadState: "${name}" has shape [${saved.shape}], expected [${v.shape}]`,
        );
      }
      tf.tidy(() => v.assign(tf.tensor(saved.values, v.shape, "float32")));
    }
  }

  /** Frees the momentum buffers (not the model's variables). */
  dispose(): void {
    for (const v of this.#velocity.values()) v.dispose();
    this.#velocity.clear();
  }
}
