/**
 * The pixel-level game (PixelDRL-MG): every pixel an agent; env, data, render, checker. No tfjs.
 *
 * @module
 */
export * from "./pixel_env.ts";
export * from "./pixel_data.ts";
export * from "./pixel_render.ts";
export * from "./pixel_check.ts";
export * from "./pixel_volume_slices.ts";
