/**
 * Reads a step's scalar loss back (and frees it), stopping the run when it is
 * not finite: shared by the pretraining and fine-tuning loops.
 *
 * @param loss The scalar loss tensor; disposed here.
 * @param where The 0-based epoch and step, for the message.
 * @returns The loss value.
 * @throws {RangeError} If the loss is NaN or infinite.
 */
export async function readFiniteLoss(
  loss: { data(): Promise<ArrayLike<number> | Uint8Array>; dispose(): void },
  where: { readonly epoch: number; readonly step: number },
): Promise<number> {
  const value = (await loss.data())[0] as number;
  loss.dispose();
  if (!Number.isFinite(value)) {
    throw new RangeError(
      `Loss is ${value} at epoch ${where.epoch + 1} step ${where.step + 1}, stopping training`,
    );
  }
  return value;
}
