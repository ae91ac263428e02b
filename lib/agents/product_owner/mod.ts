/** agents/product_owner: public entry point of this folder. */
export * from "./review.ts";
export * from "./side_by_side.ts";
