/**
 * work_order: the work-order schema (zod, one per field), its rules,
 * frontmatter and parse.
 */
export { decodeWorkOrder, readFrontmatter } from "./frontmatter.ts";
export type { McpServerSpec } from "./mcp_servers.ts";
export {
  MAX_WORK_ORDER_BYTES,
  parseWorkOrder,
  renderWorkOrderMd,
  type WorkOrder,
  workOrderFromFields,
  workOrderMdFromFields,
} from "./parse.ts";
export { envNameProblem } from "./rules.ts";
export {
  FIELD_NAMES,
  INTEGER_FIELDS,
  maxCostUsd,
  toFieldIssues,
  workOrderFieldsSchema,
} from "./schema.ts";
export { storedWorkOrder } from "./stored.ts";
