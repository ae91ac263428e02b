import { z } from "zod";

/** Messages of the Tool Runner actor. */
export const toolRunnerMessages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("prepare") }),
  z.object({
    type: z.literal("apply"),
    iteration: z.number(),
    baseCommit: z.string().optional(),
  }),
  z.object({
    type: z.literal("finalize"),
    iteration: z.number(),
    baseCommit: z.string().optional(),
  }),
]);
/** A message to the Tool Runner. */
export type ToolRunnerMessage = z.infer<typeof toolRunnerMessages>;

/** Messages of the Software Engineer actor. */
export const engineerMessages = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("turn"),
    iteration: z.number(),
    baseCommit: z.string().optional(),
  }),
]);
/** A message to the Software Engineer. */
export type EngineerMessage = z.infer<typeof engineerMessages>;

/** Messages of the Product Owner actor. */
export const productOwnerMessages = z.discriminatedUnion("type", [
  z.object({ type: z.literal("review"), iteration: z.number() }),
]);
/** A message to the Product Owner. */
export type ProductOwnerMessage = z.infer<typeof productOwnerMessages>;
