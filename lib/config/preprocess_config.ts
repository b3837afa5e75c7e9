/**
 * The settings of the preprocess task, from a YAML file plus CLI flags.
 *
 * This is its own small schema, separate from the training `Config` in
 * `lib/config/` (whose `data` section only says where the cache is). Keys
 * (all optional in YAML; CLI flags override them):
 *
 * | key | type | default | meaning |
 * |---|---|---|---|
 * | `layout` | `busi` \| `cases` \| `images-labels` | (required) | folder layout |
 * | `input` | path | (required) | dataset root |
 * | `output` | path | `data-cache/<input folder name>` | slice cache folder |
 * | `modalities` | string[] | `[]` | `cases`: one file name per channel |
 * | `label` | string \| null | `null` | `cases`: label file name |
 * | `imagesDir` / `labelsDir` | string / string \| null | `images` / `labels` | `images-labels` folders |
 * | `size` | int | 160 | slice side d (AMLP: 144 CT/PET, 160 MRI) |
 * | `spacing` | [x, y, z] mm | [1, 1, 1] | resampling target (AMLP) |
 * | `mode` | `pretrain` \| `finetune` | `pretrain` | slice rule |
 * | `clipPercentiles` | [lo, hi] | [1, 99] | AMLP intensity clip |
 * | `percentileRegion` | `nonzero` \| `all` | `nonzero` | voxels the percentiles use |
 * | `imageInterpolation` | `linear` \| `nearest` | `linear` | image resampling |
 * | `strict` | bool | false | stop at the first bad case instead of skipping it |
 * | `limit` | int | 0 | process only the first N cases (0: all) |
 * | `maxVoxels` | int | 2^28 | most voxels per NIfTI file and per resampled volume (checked before decoding / resampling) |
 * | `maxPixels` | int | 2^26 | most pixels per PNG image (checked from its header before decoding) |
 * | `labelClasses` | int | 32 | label values must be integers in [0, labelClasses - 1] |
 * | `geometryTolerance` | mm | 0.001 | largest difference between the affines of a case's files |
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
  imageInterpolation: "linear", // trilinear images, nearest labels
  strict: false,
  limit: 0,
  // Input limits and consistency checks (issue 11)
  maxVoxels: 2 ** 28, // 1 GiB as float32: a 512 x 512 x 1024 CT fits
  maxPixels: 2 ** 26, // 8192 x 8192; pngjs needs about 10 bytes per pixel
  labelClasses: 32, // a float mask with 256 grey levels is refused, not 256 classes
  geometryTolerance: 1e-3, // mm: float32 rounding of one affine, not another grid
} as const;

const KEYS = new Set([
  "layout",
  "input",
  "output",
  "modalities",
  "label",
  "imagesDir",
  "labelsDir",
  "size",
  "spacing",
  "mode",
  "clipPercentiles",
  "percentileRegion",
  "imageInterpolation",
  "strict",
  "limit",
  "maxVoxels",
  "maxPixels",
  "labelClasses",
  "geometryTolerance",
]);

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
    strict: merged.strict,
    limit: int("limit", 0),
    maxVoxels: int("maxVoxels", 1),
    maxPixels: int("maxPixels", 1),
    labelClasses: int("labelClasses", 1, 256), // labels are stored as uint8
    geometryTolerance: nonNegative("geometryTolerance"),
  };
}
