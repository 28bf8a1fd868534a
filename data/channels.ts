/**
 * The channels (modalities) of a multi-channel image. A dataset that loads several channels (BraTS
 * FLAIR, T1c, T2) returns `Case.image` = the first channel and registers all of them here, keyed by
 * that image object; the classifier and the observation encoder, which receive only `Case.image`
 * from the game, read every channel back with {@link volumeChannels}. A volume derived from the image
 * (a crop, a resampling: a new object) is not registered and reads as one channel, so a model that
 * needs several refuses it (it never sees channel 0 alone by accident).
 *
 * @module
 */
import { ShapeMismatchError } from "./errors.ts";
import type { Volume } from "./types.ts";

const registry = new WeakMap<Volume, readonly Volume[]>();

/**
 * Registers `channels` as the channels of `channels[0]` (the case's image).
 * @throws {ShapeMismatchError} when a channel's shape differs from the first's
 */
export function registerChannels(channels: readonly Volume[]): void {
  const [first] = channels;
  for (const c of channels) {
    if (!c.shape.every((n, a) => n === first.shape[a]) || c.data.length !== first.data.length) {
      throw new ShapeMismatchError(
        c.id,
        `has shape ${c.shape.join("x")}`,
        `${first.shape.join("x")}, as channel 0`,
      );
    }
  }
  registry.set(first, Object.freeze([...channels]));
}

/** Every channel of `volume` in order (`[volume]` when it has one); `result[0]` is `volume`. */
export function volumeChannels(volume: Volume): readonly Volume[] {
  return registry.get(volume) ?? [volume];
}

/** The number of channels of `volume` (1 unless registered with several). */
export function channelCount(volume: Volume): number {
  return registry.get(volume)?.length ?? 1;
}
