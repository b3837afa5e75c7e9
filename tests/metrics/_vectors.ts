// The reference values of tests/testdata/metric_vectors.json (written by
// tests/vectors/make_metric_vectors.py with scipy/numpy), typed, for the metric tests.

import type { BoundaryIouMode } from "../../lib/metrics/boundary_iou.ts";
import type { RegionDefinition } from "../../lib/metrics/multiclass.ts";
import type { Source } from "../_masks.ts";
import type { Op } from "../_perturb.ts";

/** One case's expected metrics. */
export interface Expected {
  dsc: number;
  sen: number;
  ppv: number;
  biou: number;
  hd95: number;
  branch: string;
  tp: number;
  fp: number;
  fn: number;
  biouPasses: number;
}
export interface Vectors {
  binary: Array<{
    id: string;
    source: Source;
    region: RegionDefinition;
    gtOps: Op[];
    predOps: Op[];
    spacing: number[];
    biouMode: BoundaryIouMode;
    dims: number[];
    expected: Expected;
  }>;
  multiclass: Array<{
    id: string;
    source: Source;
    predOps: Op[];
    spacing: number[];
    regions: RegionDefinition[];
    dims: number[];
    expected: { regions: Array<Expected & { name: string }>; mean: Record<string, number> };
  }>;
  edt: Array<{
    id: string;
    source: Source;
    region: RegionDefinition;
    invert: boolean;
    spacing: number[];
    dims: number[];
    expected: { count: number; sum: number; sumSquares: number; max: number; samples: number[][] };
  }>;
}

/** The vectors file, parsed. */
export const VECTORS: Vectors = JSON.parse(
  Deno.readTextFileSync(new URL("../testdata/metric_vectors.json", import.meta.url)),
);
