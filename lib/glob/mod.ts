/** glob: glob matching whose cost is bounded by the lengths of the glob and the path. */
export { compileGlob, GlobError } from "./glob.ts";
