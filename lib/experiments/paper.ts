/**
 * The CutMix paper's published numbers (Yun et al., ICCV 2019, arXiv:1905.04899), table by table,
 * so notebooks compare against one transcribed source instead of retyping numbers. Every value is
 * copied from the paper's text; errors are top-1/top-5 error in %, accuracies in %.
 *
 * Table numbers follow the paper: 5 (CIFAR-100, PyramidNet-200), 6 (lighter architectures,
 * CIFAR-100), 7 (CIFAR-10), 8 (CutMix variants, CIFAR-100), 9 (weakly supervised localization),
 * 10 (transfer learning), 11 (FGSM on ImageNet), 12 (out-of-distribution detection, CIFAR-100).
 *
 * Each table also maps our keys to its rows (`keys`: the {@link PaperMethod}s `baseline`, `cutout`,
 * `mixup`, `cutmix`, and Table 8's variant names), so notebooks ask {@link paperValueFor} for
 * "cutmix" instead of writing their own method → row mapping.
 *
 * @example
 * ```ts
 * import { paperValue, paperValueFor, TABLE7_CIFAR10, TABLE9_WSOL } from "./paper.ts";
 * paperValue(TABLE7_CIFAR10, "+ CutMix", "top1Error"); // 2.88
 * paperValueFor(TABLE9_WSOL, "cutmix", "cubLocAcc"); // 54.81 (row "ResNet-50 + CutMix")
 * ```
 * @module
 */

/** One row of a paper table: the method as the paper names it, and its numbers. */
export interface PaperRow {
  /** The row's label exactly as the paper prints it (e.g. "+ CutMix"): what lookups match. */
  readonly method: string;
  /**
   * The row's numbers by column key (e.g. `top1Error`, `cubLocAcc`), in the paper's units (error
   * and accuracy in %); a few columns are text (Table 6's `params`, "1.7 M"). Missing where the
   * paper leaves the cell blank.
   */
  readonly [column: string]: number | string | undefined;
}

/** A paper table: its number, caption, the setting it was measured in, and its rows. */
export interface PaperTable {
  /** e.g. "Table 5". */
  readonly table: string;
  /** The paper's caption. */
  readonly caption: string;
  /** Model, data and schedule the numbers come from. */
  readonly setting: string;
  /** The rows in the paper's order. */
  readonly rows: readonly PaperRow[];
  /** Our key (a {@link PaperMethod}, a Table 8 variant name) → the row's `method`. */
  readonly keys: Readonly<Record<string, string>>;
}

/** The four methods the paper compares everywhere. */
export type PaperMethod = "baseline" | "cutout" | "mixup" | "cutmix";

/** The methods in the paper's order. */
export const PAPER_METHODS: readonly PaperMethod[] = ["baseline", "cutout", "mixup", "cutmix"];

/** Human names, as the paper's tables write them. */
export const METHOD_NAMES: Readonly<Record<PaperMethod, string>> = Object.freeze({
  baseline: "Baseline",
  cutout: "Cutout (16×16)",
  mixup: "Mixup (α=1.0)",
  cutmix: "CutMix (α=1, p=0.5)",
});

/** Keys for tables whose rows are the four methods under the names `rows` gives, in order. */
function methodKeys(...rows: [string, string, string, string]): Record<PaperMethod, string> {
  return Object.fromEntries(PAPER_METHODS.map((m, i) => [m, rows[i]])) as Record<
    PaperMethod,
    string
  >;
}

/** Table 5: comparison of state-of-the-art regularization methods on CIFAR-100. */
export const TABLE5_CIFAR100: PaperTable = Object.freeze({
  table: "Table 5",
  caption: "Comparison of state-of-the-art regularization methods on CIFAR-100.",
  setting: "PyramidNet-200 (α̃ = 240, 26.8M params), CIFAR-100, 300 epochs",
  rows: [
    { method: "Baseline", top1Error: 16.45, top5Error: 3.69 },
    { method: "+ StochDepth", top1Error: 15.86, top5Error: 3.33 },
    { method: "+ Label smoothing (ε=0.1)", top1Error: 16.73, top5Error: 3.37 },
    { method: "+ Cutout", top1Error: 16.53, top5Error: 3.65 },
    { method: "+ Cutout + Label smoothing (ε=0.1)", top1Error: 15.61, top5Error: 3.88 },
    { method: "+ DropBlock", top1Error: 15.73, top5Error: 3.26 },
    { method: "+ DropBlock + Label smoothing (ε=0.1)", top1Error: 15.16, top5Error: 3.86 },
    { method: "+ Mixup (α=0.5)", top1Error: 15.78, top5Error: 4.04 },
    { method: "+ Mixup (α=1.0)", top1Error: 15.63, top5Error: 3.99 },
    { method: "+ Manifold Mixup (α=1.0)", top1Error: 16.14, top5Error: 4.07 },
    { method: "+ Cutout + Mixup (α=1.0)", top1Error: 15.46, top5Error: 3.42 },
    { method: "+ Cutout + Manifold Mixup (α=1.0)", top1Error: 15.09, top5Error: 3.35 },
    { method: "+ ShakeDrop", top1Error: 15.08, top5Error: 2.72 },
    { method: "+ CutMix", top1Error: 14.47, top5Error: 2.97 },
    { method: "+ CutMix + ShakeDrop", top1Error: 13.81, top5Error: 2.29 },
  ],
  keys: methodKeys("Baseline", "+ Cutout", "+ Mixup (α=1.0)", "+ CutMix"),
});

/** Table 6: impact of CutMix on lighter architectures on CIFAR-100. */
export const TABLE6_LIGHTER: PaperTable = Object.freeze({
  table: "Table 6",
  caption: "Impact of CutMix on lighter architectures on CIFAR-100.",
  setting: "CIFAR-100, the Sec. 4.1.2 recipe",
  rows: [
    { method: "PyramidNet-110 (α̃ = 64)", params: "1.7 M", top1Error: 19.85, top5Error: 4.66 },
    { method: "PyramidNet-110 + CutMix", params: "1.7 M", top1Error: 17.97, top5Error: 3.83 },
    { method: "ResNet-110", params: "1.1 M", top1Error: 23.14, top5Error: 5.95 },
    { method: "ResNet-110 + CutMix", params: "1.1 M", top1Error: 20.11, top5Error: 4.43 },
  ],
  keys: {},
});

/** Table 7: impact of CutMix on CIFAR-10. */
export const TABLE7_CIFAR10: PaperTable = Object.freeze({
  table: "Table 7",
  caption: "Impact of CutMix on CIFAR-10.",
  setting: "PyramidNet-200 (α̃ = 240), CIFAR-10, the Sec. 4.1.2 recipe",
  rows: [
    { method: "Baseline", top1Error: 3.85 },
    { method: "+ Cutout", top1Error: 3.10 },
    { method: "+ Mixup (α=1.0)", top1Error: 3.09 },
    { method: "+ Manifold Mixup (α=1.0)", top1Error: 3.15 },
    { method: "+ CutMix", top1Error: 2.88 },
  ],
  keys: methodKeys("Baseline", "+ Cutout", "+ Mixup (α=1.0)", "+ CutMix"),
});

/** Table 8: performance of CutMix variants on CIFAR-100. */
export const TABLE8_VARIANTS_CIFAR100: PaperTable = Object.freeze({
  table: "Table 8",
  caption: "Performance of CutMix variants on CIFAR-100.",
  setting: "PyramidNet-200 (α̃ = 240, 26.8M params), CIFAR-100, the Sec. 4.1.2 recipe",
  rows: [
    { method: "Baseline", top1Error: 16.45, top5Error: 3.69 },
    { method: "Proposed (CutMix)", top1Error: 14.47, top5Error: 2.97 },
    { method: "Center Gaussian CutMix", top1Error: 15.95, top5Error: 3.40 },
    { method: "Fixed-size CutMix", top1Error: 14.97, top5Error: 3.15 },
    { method: "One-hot CutMix", top1Error: 15.89, top5Error: 3.32 },
    { method: "Scheduled CutMix", top1Error: 14.72, top5Error: 3.17 },
    { method: "Complete-label CutMix", top1Error: 15.17, top5Error: 3.10 },
  ],
  keys: {
    baseline: "Baseline",
    cutmix: "Proposed (CutMix)",
    "Baseline": "Baseline",
    "CutMix": "Proposed (CutMix)",
    "Center Gaussian CutMix": "Center Gaussian CutMix",
    "Fixed-size CutMix": "Fixed-size CutMix",
    "One-hot CutMix": "One-hot CutMix",
    "Scheduled CutMix": "Scheduled CutMix",
    "Complete-label CutMix": "Complete-label CutMix",
  },
});

/** Table 9: weakly supervised object localization (top-1 localization accuracy, %). */
export const TABLE9_WSOL: PaperTable = Object.freeze({
  table: "Table 9",
  caption: "Weakly supervised object localization results on CUB200-2011 and ImageNet.",
  setting: "CAM boxes, IoU ≥ 0.5 with the correct class (Appendix B)",
  rows: [
    { method: "VGG-GAP + CAM", cubLocAcc: 37.12, imagenetLocAcc: 42.73 },
    { method: "VGG-GAP + Mixup", cubLocAcc: 41.73, imagenetLocAcc: 42.54 },
    { method: "VGG-GAP + Cutout", cubLocAcc: 44.83, imagenetLocAcc: 43.13 },
    { method: "VGG-GAP + CutMix", cubLocAcc: 52.53, imagenetLocAcc: 43.45 },
    { method: "ResNet-50 + CAM", cubLocAcc: 49.41, imagenetLocAcc: 46.30 },
    { method: "ResNet-50 + Mixup", cubLocAcc: 49.30, imagenetLocAcc: 45.84 },
    { method: "ResNet-50 + Cutout", cubLocAcc: 52.78, imagenetLocAcc: 46.69 },
    { method: "ResNet-50 + CutMix", cubLocAcc: 54.81, imagenetLocAcc: 47.25 },
  ],
  keys: methodKeys(
    "ResNet-50 + CAM",
    "ResNet-50 + Cutout",
    "ResNet-50 + Mixup",
    "ResNet-50 + CutMix",
  ),
});

/** Table 10: transfer of ImageNet-pretrained ResNet-50 backbones to detection and captioning. */
export const TABLE10_TRANSFER: PaperTable = Object.freeze({
  table: "Table 10",
  caption:
    "Impact of CutMix on transfer learning of pretrained model to other tasks, object detection and image captioning.",
  setting: "ResNet-50 backbones pretrained on ImageNet, fine-tuned on Pascal VOC / MS-COCO",
  rows: [
    {
      method: "ResNet-50 (Baseline)",
      imagenetTop1Error: 23.68,
      ssdMap: 76.7,
      fasterRcnnMap: 75.6,
      bleu1: 61.4,
      bleu4: 22.9,
    },
    {
      method: "Mixup-trained",
      imagenetTop1Error: 22.58,
      ssdMap: 76.6,
      fasterRcnnMap: 73.9,
      bleu1: 61.6,
      bleu4: 23.2,
    },
    {
      method: "Cutout-trained",
      imagenetTop1Error: 22.93,
      ssdMap: 76.8,
      fasterRcnnMap: 75.0,
      bleu1: 63.0,
      bleu4: 24.0,
    },
    {
      method: "CutMix-trained",
      imagenetTop1Error: 21.40,
      ssdMap: 77.6,
      fasterRcnnMap: 76.7,
      bleu1: 64.2,
      bleu4: 24.9,
    },
  ],
  keys: methodKeys("ResNet-50 (Baseline)", "Cutout-trained", "Mixup-trained", "CutMix-trained"),
});

/** Table 11: top-1 accuracy (%) after an FGSM white-box attack on the ImageNet validation set. */
export const TABLE11_FGSM: PaperTable = Object.freeze({
  table: "Table 11",
  caption: "Top-1 accuracy after FGSM white-box attack on ImageNet validation set.",
  setting: "ResNet-50 trained on ImageNet with the Sec. 4.1.1 recipe",
  rows: [
    { method: "Baseline", top1Accuracy: 8.2 },
    { method: "Mixup", top1Accuracy: 24.4 },
    { method: "Cutout", top1Accuracy: 11.5 },
    { method: "CutMix", top1Accuracy: 31.0 },
  ],
  keys: methodKeys("Baseline", "Cutout", "Mixup", "CutMix"),
});

/** Table 12: OOD detection with CIFAR-100-trained models, averaged over seven OOD sets (%). */
export const TABLE12_OOD: PaperTable = Object.freeze({
  table: "Table 12",
  caption:
    "Out-of-distribution (OOD) detection results with CIFAR-100 trained models. Results are averaged on seven datasets.",
  setting: "PyramidNet-200 on CIFAR-100; max-softmax detector (Hendrycks & Gimpel)",
  rows: [
    { method: "Baseline", tnrAtTpr95: 26.3, auroc: 87.3, detectionAccuracy: 82.0 },
    { method: "Mixup", tnrAtTpr95: 11.8, auroc: 49.3, detectionAccuracy: 60.9 },
    { method: "Cutout", tnrAtTpr95: 18.8, auroc: 68.7, detectionAccuracy: 71.3 },
    { method: "CutMix", tnrAtTpr95: 69.0, auroc: 94.4, detectionAccuracy: 89.1 },
  ],
  keys: methodKeys("Baseline", "Cutout", "Mixup", "CutMix"),
});

/**
 * The number in `column` of the row named `method`. Throws naming the table, method and column
 * when there is none (a typo must not become a silent blank in a report).
 */
export function paperValue(table: PaperTable, method: string, column: string): number {
  const row = table.rows.find((r) => r.method === method);
  if (!row) {
    throw new Error(
      `${table.table} has no row "${method}" (rows: ${table.rows.map((r) => r.method).join("; ")})`,
    );
  }
  const value = row[column];
  if (typeof value !== "number") {
    throw new Error(`${table.table}, "${method}" has no number in column "${column}"`);
  }
  return value;
}

/**
 * The number in `column` of the row our `key` stands for (`table.keys`), e.g. ("cutmix",
 * "top1Error"). Throws naming the table and the keys it has when `key` is not one of them.
 */
export function paperValueFor(table: PaperTable, key: string, column: string): number {
  const method = table.keys[key];
  if (method === undefined) {
    throw new Error(
      `${table.table} has no row for "${key}" (keys: ${Object.keys(table.keys).join(", ")})`,
    );
  }
  return paperValue(table, method, column);
}
