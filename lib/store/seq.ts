/** Sortable event sequence strings: the runtime's, so store- and actor-written events share one order. */
export { nextSeq } from "../../runtime/mod.ts";
