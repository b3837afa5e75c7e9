/**
 * The BUSI layout (`Dataset_BUSI_with_GT`): one folder per class, each holding
 * `<name>.png` images and their masks `<name>_mask.png`, `<name>_mask_1.png`, ...
 * All masks of an image are OR-ed into one; images of class `normal` have
 * empty masks. Each image is its own case (`caseId` is `<class>/<name>`).
 *
 * Reference: Al-Dhabyani et al., Dataset of breast ultrasound images, Data in
 * Brief 28:104863, 2020.
 *
 * @module
 */

import { InputFileError } from "../../errors.ts";
import type { CaseRef } from "./case_ref.ts";
import { brokenCase, join, listDir } from "./_files.ts";

const MASK = /^(.*)_mask(?:_\d+)?\.png$/i;

/**
 * Lists the BUSI cases under `root`.
 *
 * @param root The folder holding `benign/`, `malignant/`, `normal/` (any class folders).
 * @returns One ref per image, sorted by class then natural name order.
 * @throws {InputFileError} If `root` is missing or holds no image.
 * @example
 * ```ts ignore
 * const cases = await listBusiCases("../shared/data/busi");
 * cases[0]?.caseId; // "benign/benign (1)"
 * ```
 */
export async function listBusiCases(root: string): Promise<CaseRef[]> {
  const refs: CaseRef[] = [];
  for (const cls of await listDir(root, "BUSI folder")) {
    if (cls.name.startsWith(".")) continue;
    if (cls.broken) refs.push(brokenCase(cls.name, join(root, cls.name), cls.broken, "png"));
    if (!cls.isDirectory) continue;
    const dir = join(root, cls.name);
    // every entry named like an image or mask stays in (a folder, a broken symlink): reading says why
    const names = (await listDir(dir, "BUSI class folder")).map((e) => e.name);
    const masks = new Map<string, string[]>();
    for (const name of names) {
      const m = MASK.exec(name);
      if (!m) continue;
      const list = masks.get(m[1] ?? "") ?? [];
      list.push(join(dir, name));
      masks.set(m[1] ?? "", list);
    }
    for (const name of names) {
      if (!/\.png$/i.test(name) || MASK.test(name)) continue;
      const stem = name.replace(/\.png$/i, "");
      const labels = masks.get(stem) ?? [];
      refs.push({
        caseId: `${cls.name}/${stem}`,
        format: "png",
        images: [join(dir, name)],
        labels,
        missing: labels.length === 0 ? [join(dir, `${stem}_mask.png`)] : [],
      });
    }
  }
  if (refs.length === 0) {
    throw new InputFileError("BUSI folder", root, "no <class>/<name>.png images found");
  }
  return refs;
}
