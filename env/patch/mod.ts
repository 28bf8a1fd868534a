/**
 * The patch game ("Competing for pixels", Saeed et al. 2024): two players take patches of an image
 * in turn and decide when to stop; the union of taken patches is the segmentation.
 *
 * @module
 */
export * from "./grid.ts";
export * from "./config.ts";
export * from "./observation.ts";
export * from "./game.ts";
export * from "./render.ts";
export * from "./patch_env.ts";
export * from "./agents.ts";
export * from "./self_play.ts";
export * from "./vector_env.ts";
export * from "./spatial_prior.ts";
