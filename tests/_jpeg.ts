/** Test fixture: JPEG bytes of a grey image, encoded with jpeg-js (the package's decoder's library). */
import jpeg from "jpeg-js";

/** JPEG bytes (quality 90) of a `width` x `height` grey image given per pixel (0..255). */
export function encodeGreyJpeg(
  width: number,
  height: number,
  grey: (x: number, y: number) => number,
): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const g = grey(x, y);
      data.set([g, g, g, 255], (y * width + x) * 4);
    }
  }
  return new Uint8Array(jpeg.encode({ width, height, data }, 90).data);
}
