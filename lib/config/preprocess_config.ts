/**
 * The settings of the preprocess task, from a YAML file plus CLI flags.
 *
 * This is its own small schema, separate from the training `Config` in
 * `lib/config/` (whose `data` section only says where the cache is). Every
 * key is optional in YAML and CLI flags override them; the keys, their types,
 * defaults and meanings are {@linkcode PREPROCESS_SETTINGS} (which `--help`
 * and the README's table print).
 *
 * @module
 */

import { parse } from "yaml";
import { ConfigError } from "../errors.ts";

/** Folder layouts the preprocess task understands. */
export const LAYOUTS = ["busi", "cases", "images-labels"] as const;

/** A validated preprocess configuration. */
export interface PreprocessConfig {
  readonly layout: (typeof LAYOUTS)[number];
  readonly input: string;
  readonly output: string;
  readonly modalities: readonly string[];
  readonly label: string | null;
  readonly imagesDir: string;
  readonly labelsDir: string | null;
  readonly size: number;
  readonly spacing: readonly [number, number, number];
  readonly mode: "pretrain" | "finetune";
  readonly clipPercentiles: readonly [number, number];
  readonly percentileRegion: "nonzero" | "all";
  readonly imageInterpolation: "linear" | "nearest";
  readonly intensityWindow: readonly [number, number] | null;
  readonly strict: boolean;
  readonly limit: number;
  // Input limits and consistency checks (issue 11); not part of the settings hash.
  readonly maxVoxels: number;
  readonly maxPixels: number;
  readonly labelClasses: number;
  readonly geometryTolerance: number;
}

/** Defaults of every key that has one. */
export const PREPROCESS_DEFAULTS = {
  modalities: [] as string[],
  label: null,
  imagesDir: "images",
  labelsDir: "labels",
  size: 160, // AMLP d for BraTS (MRI); 144 for Hecktor (CT/PET)
  spacing: [1, 1, 1], // AMLP: 1.0 x 1.0 x 1.0 mm^3
  mode: "pretrain", // pretrain: all non-black slices; finetune: slices with the object
  clipPercentiles: [1, 99], // AMLP
  percentileRegion: "nonzero", // background zeros would pin the 1st percentile at 0
  imageInterpolation: "linear", // trilinear images, nearest labels (AMLP sec. 4.3: nearest for both)
  intensityWindow: null, // [lo, hi] clamps raw intensities first, e.g. [-150, 150] HU for head-and-neck CT
  strict: false,
  limit: 0,
  // Input limits and consistency checks (issue 11)
  maxVoxels: 2 ** 28, // 1 GiB as float32: a 512 x 512 x 1024 CT fits
  maxPixels: 2 ** 26, // 8192 x 8192; pngjs needs about 10 bytes per pixel
  labelClasses: 32, // a float mask with 256 grey levels is refused, not 256 classes
  geometryTolerance: 1e-3, // mm: float32 rounding of one affine, not another grid
} as const;

/** Every key: its type and default in words, and what it means. */
export const PREPROCESS_SETTINGS: readonly {
  readonly key: string;
  readonly type: string;
  readonly default: string;
  readonly meaning: string;
}[] = [
  { key: "layout", type: LAYOUTS.join(" | "), default: "(required)", meaning: "folder layout" },
  { key: "input", type: "path", default: "(required)", meaning: "dataset root" },
  {
    key: "output",
    type: "path",
    default: "data-cache/<input folder name>",
    meaning: "slice cache folder",
  },
  {
    key: "modalities",
    type: "list of file names",
    default: "[]",
    meaning: "cases: one image file name per channel, in channel order",
  },
  { key: "label", type: "file name or null", default: "null", meaning: "cases: label file name" },
  {
    key: "imagesDir",
    type: "folder name",
    default: "images",
    meaning: "images-labels: image folder under input (MSD, nnU-Net: imagesTr)",
  },
  {
    key: "labelsDir",
    type: "folder name or null",
    default: "labels",
    meaning: "images-labels: label folder under input (labelsTr); null: no labels",
  },
  {
    key: "size",
    type: "integer >= 1",
    default: "160",
    meaning: "slice side d after crop/pad (AMLP: 144 CT/PET, 160 MRI)",
  },
  { key: "spacing", type: "[x, y, z] mm", default: "[1, 1, 1]", meaning: "resampling target" },
  {
    key: "mode",
    type: "pretrain | finetune",
    default: "pretrain",
    meaning: "pretrain: every slice that is not all zero; finetune: slices with the object",
  },
  {
    key: "clipPercentiles",
    type: "[lo, hi]",
    default: "[1, 99]",
    meaning: "intensity clip percentiles (AMLP)",
  },
  {
    key: "percentileRegion",
    type: "nonzero | all",
    default: "nonzero",
    meaning: "voxels the percentiles are computed over",
  },
  {
    key: "imageInterpolation",
    type: "linear | nearest",
    default: "linear",
    meaning: "image resampling (labels: always nearest)",
  },
  {
    key: "intensityWindow",
    type: "[lo, hi] or null",
    default: "null",
    meaning:
      "clamp raw intensities to [lo, hi] before everything else (CT: [-150, 150] HU, Hecktor)",
  },
  {
    key: "strict",
    type: "boolean",
    default: "false",
    meaning: "stop at the first bad case instead of skipping it",
  },
  {
    key: "limit",
    type: "integer >= 0",
    default: "0",
    meaning: "process only the first N cases (0: all)",
  },
  {
    key: "maxVoxels",
    type: "integer >= 1",
    default: "2^28",
    meaning: "most voxels per NIfTI file and per resampled volume (checked before decoding)",
  },
  {
    key: "maxPixels",
    type: "integer >= 1",
    default: "2^26",
    meaning: "most pixels per PNG image (checked from its header before decoding)",
  },
  {
    key: "labelClasses",
    type: "integer in [1, 256]",
    default: "32",
    meaning: "label values must be integers in [0, labelClasses - 1]",
  },
  {
    key: "geometryTolerance",
    type: "mm >= 0",
    default: "0.001",
    meaning: "largest difference between the affines of a case's image and label files",
  },
];

const KEYS = new Set(PREPROCESS_SETTINGS.map((s) => s.key));

/**
 * Parses YAML text into a partial config (unknown keys rejected later).
 *
 * @param text YAML.
 * @param path For error messages.
 * @returns The mapping.
 * @throws {ConfigError} If the document is not a mapping.
 * @throws {SyntaxError} From the YAML parser, with line and column.
 */
export function parsePreprocessYaml(text: string, path: string): Record<string, unknown> {
  const value: unknown = parse(text) ?? {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError("(root)", `"${path}" must hold a YAML mapping`);
  }
  return value as Record<string, unknown>;
}

/**
 * Merges YAML values and CLI overrides onto the defaults and validates them.
 *
 * @param layers Later layers win (e.g. `[yaml, cli]`); `undefined` values are ignored.
 * @returns The config.
 * @throws {ConfigError} On an unknown key, a wrong type, or an out-of-range value.
 */
export function resolvePreprocessConfig(...layers: Record<string, unknown>[]): PreprocessConfig {
  const merged: Record<string, unknown> = { ...PREPROCESS_DEFAULTS };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (!KEYS.has(key)) throw new ConfigError(key, `unknown key; known: ${[...KEYS].join(", ")}`);
      if (value !== undefined) merged[key] = value;
    }
  }
  const str = (key: string): string => {
    const v = merged[key];
    if (typeof v !== "string" || v === "") {
      throw new ConfigError(key, `must be a non-empty string, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const strOrNull = (key: string): string | null => (merged[key] === null ? null : str(key));
  const oneOf = <T extends string>(key: string, options: readonly T[]): T => {
    const v = merged[key];
    if (!options.includes(v as T)) {
      throw new ConfigError(key, `must be one of ${options.join(", ")}, got ${JSON.stringify(v)}`);
    }
    return v as T;
  };
  const numbers = (key: string, n: number, positive: boolean): number[] => {
    const v = merged[key];
    if (
      !Array.isArray(v) || v.length !== n ||
      v.some((x) => typeof x !== "number" || !Number.isFinite(x))
    ) {
      throw new ConfigError(key, `must be a list of ${n} numbers, got ${JSON.stringify(v)}`);
    }
    if (positive && v.some((x) => x <= 0)) {
      throw new ConfigError(key, `must be positive, got ${JSON.stringify(v)}`);
    }
    return v as number[];
  };
  const int = (key: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const v = merged[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
      throw new ConfigError(key, `must be an integer ${range}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const nonNegative = (key: string): number => {
    const v = merged[key];
    if (typeof v !== "number" || !(v >= 0) || !Number.isFinite(v)) {
      throw new ConfigError(key, `must be a finite number >= 0, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const layout = oneOf("layout", LAYOUTS);
  const input = str("input");
  const modalitiesValue = merged.modalities;
  if (
    !Array.isArray(modalitiesValue) ||
    modalitiesValue.some((m) => typeof m !== "string" || m === "")
  ) {
    throw new ConfigError(
      "modalities",
      `must be a list of file names, got ${JSON.stringify(modalitiesValue)}`,
    );
  }
  const modalities = modalitiesValue as string[];
  if (layout === "cases" && modalities.length === 0) {
    throw new ConfigError(
      "modalities",
      'layout "cases" needs at least one modality file name, e.g. FLAIR.nii.gz',
    );
  }
  const [lo = 1, hi = 99] = numbers("clipPercentiles", 2, false);
  if (!(lo >= 0 && lo < hi && hi <= 100)) {
    throw new ConfigError(
      "clipPercentiles",
      `must satisfy 0 <= lo < hi <= 100, got [${lo}, ${hi}]`,
    );
  }
  if (typeof merged.strict !== "boolean") {
    throw new ConfigError("strict", `must be true or false, got ${JSON.stringify(merged.strict)}`);
  }
  const [sx = 1, sy = 1, sz = 1] = numbers("spacing", 3, true);
  const window = (): readonly [number, number] | null => {
    if (merged.intensityWindow === null) return null;
    const [a = 0, b = 0] = numbers("intensityWindow", 2, false);
    if (!(a < b)) {
      throw new ConfigError("intensityWindow", `must satisfy lo < hi, got [${a}, ${b}]`);
    }
    return [a, b];
  };
  const name = input.replace(/\/+$/, "").split("/").pop() || "dataset";
  return {
    layout,
    input,
    output: merged.output === undefined ? `data-cache/${name}` : str("output"),
    modalities,
    label: strOrNull("label"),
    imagesDir: str("imagesDir"),
    labelsDir: strOrNull("labelsDir"),
    size: int("size", 1),
    spacing: [sx, sy, sz],
    mode: oneOf("mode", ["pretrain", "finetune"] as const),
    clipPercentiles: [lo, hi],
    percentileRegion: oneOf("percentileRegion", ["nonzero", "all"] as const),
    imageInterpolation: oneOf("imageInterpolation", ["linear", "nearest"] as const),
    intensityWindow: window(),
    strict: merged.strict,
    limit: int("limit", 0),
    maxVoxels: int("maxVoxels", 1),
    maxPixels: int("maxPixels", 1),
    labelClasses: int("labelClasses", 1, 256), // labels are stored as uint8
    geometryTolerance: nonNegative("geometryTolerance"),
  };
}
