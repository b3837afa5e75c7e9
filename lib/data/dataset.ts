/**
 * The one interface every data source implements: the synthetic phantoms, the
 * preprocessed slice cache of real scans, and anything a user adds.
 *
 * Conventions:
 * - An image is a `Float32Array` of `size * size * channels` values in HWC order
 *   (row-major, channels last), the layout tfjs uses for NHWC tensors.
 * - A label is a `Uint8Array` of `size * size` class values (0 is background), or
 *   `null` when the slice has no annotation (pretraining data).
 * - `caseId` names the patient / 3D scan / 2D image a slice came from, so that
 *   splits can be made per patient and metrics per 3D scan.
 *
 * @module
 */

/** One 2D training example. */
export interface Slice {
  /** `[size, size, channels]`, HWC, float32. */
  readonly image: Float32Array;
  /** `[size, size]` class values, or `null` when unlabeled. */
  readonly label: Uint8Array | null;
  /** Patient, scan or image the slice belongs to. */
  readonly caseId: string;
  /** Index of the slice along z within its case (0 for 2D images). */
  readonly sliceIndex: number;
  /**
   * True for a slice kept only so that evaluation covers its whole 3D case (a
   * slice cache's mode did not select it, e.g. no object in `finetune` mode):
   * training and validation skip it. Absent means false.
   */
  readonly evalOnly?: boolean;
}

/** A random-access collection of equally sized 2D slices. */
export interface SliceDataset {
  /** Height and width of every slice, in pixels. */
  readonly size: number;
  /** Number of image channels (modalities). */
  readonly channels: number;
  /** Number of slices. */
  readonly length: number;
  /** Returns slice `index` (0 <= index < length). */
  get(index: number): Slice;
}

/**
 * Gathers slices `indices` into one batch.
 *
 * @param dataset The source.
 * @param indices Which slices, in order.
 * @returns `images` `[N, size, size, channels]` and `labels` `[N, size, size]`
 *   (zeros where a slice is unlabeled) as flat arrays.
 * @throws {RangeError} If an index is outside `[0, dataset.length)`.
 */
export function gatherBatch(
  dataset: SliceDataset,
  indices: readonly number[],
): { images: Float32Array; labels: Uint8Array } {
  const pixels = dataset.size * dataset.size;
  const images = new Float32Array(indices.length * pixels * dataset.channels);
  const labels = new Uint8Array(indices.length * pixels);
  indices.forEach((index, n) => {
    if (!Number.isInteger(index) || index < 0 || index >= dataset.length) {
      throw new RangeError(
        `Cannot gather batch: index ${index} is outside [0, ${dataset.length})`,
      );
    }
    const slice = dataset.get(index);
    images.set(slice.image, n * pixels * dataset.channels);
    if (slice.label) labels.set(slice.label, n * pixels);
  });
  return { images, labels };
}
