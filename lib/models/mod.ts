/**
 * Models by configuration: a {@link ModelSpec} (a plain, JSON-serialisable object that a run's
 * config stores) becomes an {@link ImageClassifier}.
 *
 * @example
 * ```ts
 * import { createModel, parseModelName } from "./mod.ts";
 * const model = createModel(parseModelName("resnet20"), 42);
 * console.log(model.name, model.parameterCount()); // resnet20 272474
 * model.dispose();
 * ```
 * @module
 */
import { Random, type Seed } from "../random.ts";
import type { ImageClassifier } from "./model.ts";
import {
  createPyramidNet,
  type PyramidNetOptions,
  resolvePyramidNetOptions,
} from "./pyramidnet.ts";
import { createResNet, type ResNetOptions, resolveResNetOptions } from "./resnet.ts";

export type {
  ClassifierIOOptions,
  ForwardOptions,
  ForwardResult,
  ImageClassifier,
  ModelOutputs,
} from "./model.ts";
export type { BatchNormParams, ConvParams, DenseParams, ParameterStore } from "./layers.ts";
export { eagerLayerOps, type LayerOps } from "./ops.ts";
export { CIFAR10_MEAN, CIFAR10_STD } from "../augment/baseline.ts";
export type { PyramidNetOptions } from "./pyramidnet.ts";
export type { ResNetOptions } from "./resnet.ts";

/** A model architecture, as stored in a run's configuration. */
export type ModelSpec =
  | ({ readonly arch: "resnet" } & ResNetOptions)
  | ({ readonly arch: "pyramidnet" } & PyramidNetOptions);

/**
 * Builds the model `spec` describes, its initial values drawn from `seed` (a `Random` is used as
 * is; a seed gives `Random.derive(seed, "model-init")`).
 */
export function createModel(spec: ModelSpec, seed: Seed | Random): ImageClassifier {
  const rng = seed instanceof Random ? seed : Random.derive(seed, "model-init");
  switch (spec?.arch) {
    case "resnet": {
      const { arch: _arch, ...options } = spec;
      return createResNet(options, rng);
    }
    case "pyramidnet": {
      const { arch: _arch, ...options } = spec;
      return createPyramidNet(options, rng);
    }
    default:
      throw new Error(
        `createModel: spec.arch must be "resnet" or "pyramidnet", got ${JSON.stringify(spec)}`,
      );
  }
}

/**
 * `spec` with every default written out and validated, so that equal architectures are equal
 * objects (and hash equally in a run's config). Throws naming the bad field.
 */
export function normalizeModelSpec(spec: ModelSpec): ModelSpec {
  switch (spec?.arch) {
    case "resnet": {
      const { arch: _arch, ...options } = spec;
      return { arch: "resnet", ...resolveResNetOptions(options) };
    }
    case "pyramidnet": {
      const { arch: _arch, ...options } = spec;
      return { arch: "pyramidnet", ...resolvePyramidNetOptions(options) };
    }
    default:
      throw new Error(
        `model spec arch must be "resnet" or "pyramidnet", got ${JSON.stringify(spec)}`,
      );
  }
}

/**
 * Parses the short names the CLI and reports use:
 * - `resnet<depth>` (e.g. `resnet20`, `resnet110`), optional `-A` for option-A shortcuts and
 *   `-w<a>-<b>-<c>` for stage widths (e.g. `resnet8-w4-8-16`);
 * - `pyramidnet<depth>-a<alpha>` with optional `-bottleneck` and `-shakedrop<p>` (e.g.
 *   `pyramidnet200-a240-bottleneck`, `pyramidnet110-a64`).
 */
export function parseModelName(name: string, numClasses = 10): ModelSpec {
  const resnet = /^resnet(\d+)((?:-w\d+-\d+-\d+)?)((?:-A)?)$/.exec(name);
  if (resnet) {
    const widths = resnet[2]
      ? resnet[2].slice(2).split("-").map(Number) as [number, number, number]
      : undefined;
    return {
      arch: "resnet",
      depth: Number(resnet[1]),
      ...(widths ? { widths } : {}),
      shortcut: resnet[3] ? "A" : "B",
      numClasses,
    };
  }
  const pyramid =
    /^pyramidnet(\d+)-a(\d+(?:\.\d+)?)((?:-bottleneck)?)((?:-shakedrop\d*(?:\.\d+)?)?)$/.exec(name);
  if (pyramid) {
    const shake = pyramid[4] ? Number(pyramid[4].slice("-shakedrop".length) || "0.5") : undefined;
    return {
      arch: "pyramidnet",
      depth: Number(pyramid[1]),
      alpha: Number(pyramid[2]),
      bottleneck: pyramid[3] !== "",
      ...(shake !== undefined ? { shakeDrop: shake } : {}),
      numClasses,
    };
  }
  throw new Error(
    `model name "${name}" is not one of resnet<depth>[-w<a>-<b>-<c>][-A] or ` +
      "pyramidnet<depth>-a<alpha>[-bottleneck][-shakedrop<p>]",
  );
}
