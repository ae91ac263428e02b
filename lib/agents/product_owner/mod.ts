/** agents/product_owner: public entry point of this folder. */
export * from "./review.ts";
