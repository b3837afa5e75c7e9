/**
 * Reading step losses back from the device, shared by the pretraining and
 * fine-tuning loops: each value is checked to be finite, and a
 * {@linkcode LossQueue} reads them in groups of k so that the device never
 * waits for the host between those reads.
 *
 * @module
 */

/** A scalar loss tensor, as the loops hold it. */
export interface LossTensor {
  data(): Promise<ArrayLike<number> | Uint8Array>;
  dispose(): void;
}

/** Where a step is, for messages and progress. */
export interface LossPlace {
  readonly epoch: number;
  readonly step: number;
}

/**
 * Reads a step's loss values back (and frees the tensor), stopping the run
 * when one is not finite.
 *
 * @param loss The loss tensor (a scalar, or a few loss terms); disposed here.
 * @param where The 0-based epoch and step, for the message.
 * @returns The values.
 * @throws {RangeError} If a value is NaN or infinite.
 */
export async function readFiniteLoss(loss: LossTensor, where: LossPlace): Promise<number[]> {
  let values: number[];
  try {
    values = Array.from(await loss.data());
  } finally {
    loss.dispose();
  }
  const bad = values.find((v) => !Number.isFinite(v));
  if (bad !== undefined) {
    throw new RangeError(
      `Loss is ${bad} at epoch ${where.epoch + 1} step ${where.step + 1}, stopping training`,
    );
  }
  return values;
}

/**
 * Holds step losses on the device and reads them every `every` steps.
 *
 * @example
 * ```ts
 * import { LossQueue } from "./read_loss.ts";
 * const seen: number[] = [];
 * const queue = new LossQueue(2, ([value]) => seen.push(value!));
 * const loss = (v: number) => ({ data: () => Promise.resolve([v]), dispose() {} });
 * await queue.push(loss(1), { epoch: 0, step: 0 });
 * if (seen.length !== 0) throw new Error("not read yet");
 * await queue.push(loss(2), { epoch: 0, step: 1 });
 * if (seen.join() !== "1,2") throw new Error("read together");
 * ```
 */
export class LossQueue<P extends LossPlace = LossPlace> {
  #pending: Array<{ loss: LossTensor; place: P }> = [];

  /**
   * @param every Read after this many steps (>= 1).
   * @param onRead Called with each step's values, in step order.
   */
  constructor(readonly every: number, readonly onRead: (values: number[], place: P) => void) {}

  /**
   * Queues a step's loss; reads the queue once it holds `every` losses.
   *
   * @throws {RangeError} If a read loss is not finite (the queue is emptied and freed).
   */
  async push(loss: LossTensor, place: P): Promise<void> {
    this.#pending.push({ loss, place });
    if (this.#pending.length >= this.every) await this.flush();
  }

  /**
   * Reads every queued loss.
   *
   * @throws {RangeError} If a loss is not finite (the queue is emptied and freed).
   */
  async flush(): Promise<void> {
    const pending = this.#pending;
    this.#pending = [];
    let next = 0;
    try {
      for (; next < pending.length; next++) {
        const { loss, place } = pending[next]!;
        this.onRead(await readFiniteLoss(loss, place), place); // frees the loss
      }
    } finally {
      pending.slice(next + 1).forEach((p) => p.loss.dispose()); // after a failure
    }
  }
}
