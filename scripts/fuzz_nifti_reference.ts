/**
 * The fuzzer's independent reference decoder of single-file NIfTI-1/NIfTI-2 bytes: a few lines of
 * DataView reads per field, written from the NIfTI spec and nibabel's rules, sharing no code with
 * `data/`. It decides whether a file is consistent (the rules the reader promises: magic, supported
 * datatype with matching bitpix, 3D dims, positive pixdim, integer vox_offset past the header and
 * its extensions, finite scl_inter when scaling, exact length) and decodes what the reader must
 * return: shape, spacing and every voxel. The affine is not modelled.
 *
 * @module
 */

/** The reference verdict: a reason to refuse, or what a reader must return. */
export type Reference =
  | { ok: false; reason: string }
  | {
    ok: true;
    /** z,y,x. */
    shape: number[];
    /** z,y,x mm. */
    spacing: number[];
    /** Voxel values after scaling, in float64 (the reader rounds them to float32 or checks labels). */
    values: Float64Array;
  };

const BYTES: Record<number, number> = { 2: 1, 256: 1, 4: 2, 512: 2, 8: 4, 768: 4, 16: 4, 64: 8 };

function voxel(v: DataView, at: number, code: number, le: boolean): number {
  switch (code) {
    case 2:
      return v.getUint8(at);
    case 256:
      return v.getInt8(at);
    case 4:
      return v.getInt16(at, le);
    case 512:
      return v.getUint16(at, le);
    case 8:
      return v.getInt32(at, le);
    case 768:
      return v.getUint32(at, le);
    case 16:
      return v.getFloat32(at, le);
    default:
      return v.getFloat64(at, le);
  }
}

/**
 * Decodes `bytes` as the reader must (see the module doc).
 * @param allowTrailingBytes whether bytes after the last voxel are ignored (else refused)
 */
export function referenceDecode(bytes: Uint8Array, allowTrailingBytes: boolean): Reference {
  const no = (reason: string): Reference => ({ ok: false, reason });
  if (bytes.length < 4) return no("short");
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let version = 0, le = true;
  for (const [size, ver] of [[348, 1], [540, 2]]) {
    if (v.getInt32(0, true) === size) [version, le] = [ver, true];
    else if (v.getInt32(0, false) === size) [version, le] = [ver, false];
  }
  if (version === 0) return no("sizeof_hdr");
  const hsize = version === 1 ? 348 : 540;
  if (bytes.length < hsize) return no("truncated header");
  const magic = version === 1 ? [0x6e, 0x2b, 0x31, 0] : [0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a];
  const magicAt = version === 1 ? 344 : 4;
  if (!magic.every((b, i) => bytes[magicAt + i] === b)) return no("magic");
  const i16 = (o: number) => v.getInt16(o, le);
  const code = version === 1 ? i16(70) : i16(12);
  const bitpix = version === 1 ? i16(72) : i16(14);
  const width = BYTES[code];
  if (width === undefined) return no("datatype");
  if (bitpix !== 8 * width) return no("bitpix");
  const dim = Array.from(
    { length: 8 },
    (_, i) => version === 1 ? i16(40 + 2 * i) : Number(v.getBigInt64(16 + 8 * i, le)),
  );
  const pix = Array.from(
    { length: 8 },
    (_, i) => version === 1 ? v.getFloat32(76 + 4 * i, le) : v.getFloat64(104 + 8 * i, le),
  );
  const n = dim[0];
  if (!(n === 3 || ((n === 4 || n === 5) && dim.slice(4, n + 1).every((d) => d === 1)))) return no("dim[0]");
  if (!dim.slice(1, 4).every((d) => Number.isSafeInteger(d) && d >= 1)) return no("dims");
  if (!pix.slice(1, 4).every((p) => Number.isFinite(p) && p > 0)) return no("pixdim");
  const stored = version === 1 ? v.getFloat32(108, le) : Number(v.getBigInt64(168, le));
  const offset = stored === 0 ? hsize + 4 : stored;
  if (!(Number.isSafeInteger(offset) && offset >= hsize + 4)) return no("vox_offset");
  const slope = version === 1 ? v.getFloat32(112, le) : v.getFloat64(176, le);
  const inter = version === 1 ? v.getFloat32(116, le) : v.getFloat64(184, le);
  const scaled = Number.isFinite(slope) && slope !== 0;
  if (scaled && !Number.isFinite(inter)) return no("scl_inter");
  const count = dim[1] * dim[2] * dim[3];
  const length = offset + count * width;
  if (length > 2 ** 31) return no("too large");
  // Extensions: only when the extender's first byte is set; each one must end by vox_offset.
  if (bytes.length >= hsize + 4 && bytes[hsize] !== 0) {
    for (let at = hsize + 4; at + 8 <= Math.min(offset, bytes.length);) {
      const esize = v.getInt32(at, le);
      if (esize < 8) return no("extension esize");
      if (at + esize > offset) return no("vox_offset inside extension");
      at += esize;
    }
  }
  if (bytes.length < length) return no("truncated data");
  if (bytes.length > length && !allowTrailingBytes) return no("trailing bytes");
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const x = voxel(v, offset + i * width, code, le);
    values[i] = scaled ? x * slope + inter : x;
  }
  return { ok: true, shape: [dim[3], dim[2], dim[1]], spacing: [pix[3], pix[2], pix[1]], values };
}

/** What a reader returned, reduced to what is compared. */
export interface ReaderOutput {
  shape: readonly number[];
  spacing: readonly number[];
  data: Float32Array | Uint8Array;
}

/**
 * Compares a reader's output with the reference: shape, spacing, and each voxel (float32-rounded
 * values for the intensity reader, with NaN/Inf zeroed under `"zero"`; exact integers 0..255 for
 * the label reader). Returns a description of the first difference, or undefined when they agree.
 * With reader policy "error" (or labels) a reference holding non-finite or non-label values means
 * the reader must have refused: that is reported as a difference too.
 */
export function compareWithReference(
  out: ReaderOutput,
  ref: Reference & { ok: true },
  reader: "error" | "zero" | "labels",
): string | undefined {
  if (out.shape.join() !== ref.shape.join()) return `shape ${out.shape} vs ${ref.shape}`;
  if (!out.spacing.every((s, i) => Object.is(s, ref.spacing[i]))) {
    return `spacing ${out.spacing} vs ${ref.spacing}`;
  }
  if (out.data.length !== ref.values.length) return `length ${out.data.length} vs ${ref.values.length}`;
  for (let i = 0; i < ref.values.length; i++) {
    const r = ref.values[i];
    let want: number;
    if (reader === "labels") {
      if (!(r >= 0 && r <= 255 && Number.isInteger(r))) return `voxel ${i}: label ${r} accepted`;
      want = r;
    } else {
      want = Math.fround(r);
      if (!Number.isFinite(want)) {
        if (reader === "error") return `voxel ${i}: non-finite ${want} accepted`;
        want = 0;
      }
    }
    if (!Object.is(out.data[i], want) && !(out.data[i] === 0 && want === 0)) {
      return `voxel ${i}: ${out.data[i]} vs ${want}`;
    }
  }
  return undefined;
}

/**
 * True when a consistent file must still be refused by the chosen reader's value policy: a voxel that
 * is not an integer label 0..255 (label reader), or a non-finite float32 value (NaN policy "error").
 */
export function policyRejects(ref: Reference & { ok: true }, reader: "error" | "zero" | "labels"): boolean {
  if (reader === "zero") return false;
  for (const r of ref.values) {
    if (
      reader === "labels" ? !(r >= 0 && r <= 255 && Number.isInteger(r)) : !Number.isFinite(Math.fround(r))
    ) return true;
  }
  return false;
}
