/**
 * Seeded orthogonal initialisation (Saxe et al. 2014), as PyTorch's `orthogonal_` and CleanRL's
 * `layer_init`: a (semi-)orthogonal matrix scaled by a gain. Computed in plain float64 from our
 * own generator, so the initial weights are the same on every backend and platform.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Rng } from "../data/random.ts";

/**
 * A `rows x cols` matrix (row-major float32) with orthonormal columns when `rows >= cols`, else
 * orthonormal rows, times `gain`. Built by modified Gram-Schmidt on a standard normal matrix
 * (the QR factor with a positive diagonal, which is PyTorch's sign convention).
 *
 * Conv kernels use `rows = kz*ky*kx*in`, `cols = out`, which is tfjs' [kz, ky, kx, in, out]
 * layout read as a matrix.
 *
 * @param rows number of rows (>= 1)
 * @param cols number of columns (>= 1)
 * @param gain scale (e.g. sqrt(2) for ReLU layers, 0.01 for a policy head, 1 for a value head)
 * @param rng the generator consumed (standard normals)
 * @throws {InvalidArgumentError} for non-positive sizes or a non-finite gain
 */
export function orthogonalMatrix(rows: number, cols: number, gain: number, rng: Rng): Float32Array {
  if (!(Number.isInteger(rows) && rows >= 1 && Number.isInteger(cols) && cols >= 1)) {
    throw new InvalidArgumentError("orthogonalMatrix", `size ${rows}x${cols}`, "positive integer sizes");
  }
  if (!Number.isFinite(gain)) throw new InvalidArgumentError("gain", `is ${gain}`, "a finite number");
  const n = Math.max(rows, cols), k = Math.min(rows, cols);
  // q holds k orthonormal vectors of length n, vector j at q[j*n .. j*n+n).
  const q = new Float64Array(n * k);
  for (let j = 0; j < k; j++) {
    const v = q.subarray(j * n, (j + 1) * n);
    for (;;) {
      for (let i = 0; i < n; i++) v[i] = rng.normal();
      // Two passes of modified Gram-Schmidt keep the result orthogonal to float64 precision.
      for (let pass = 0; pass < 2; pass++) {
        for (let p = 0; p < j; p++) {
          const u = q.subarray(p * n, (p + 1) * n);
          let dot = 0;
          for (let i = 0; i < n; i++) dot += u[i] * v[i];
          for (let i = 0; i < n; i++) v[i] -= dot * u[i];
        }
      }
      let norm = 0;
      for (let i = 0; i < n; i++) norm += v[i] * v[i];
      norm = Math.sqrt(norm);
      if (norm > 1e-8) {
        for (let i = 0; i < n; i++) v[i] /= norm;
        break;
      }
    }
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // rows >= cols: column c is vector c; else row r is vector r.
      out[r * cols + c] = gain * (rows >= cols ? q[c * n + r] : q[r * n + c]);
    }
  }
  return out;
}
