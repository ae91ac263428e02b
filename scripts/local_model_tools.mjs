/** The pure halves of local_model_server.mjs: tool schemas for the grammar, tool calls written as text. */

/**
 * A tool's JSON schema in the subset node-llama-cpp's grammar accepts. Its object properties
 * are all generated, so an optional one becomes "value or null" and nulls are dropped from
 * the arguments afterwards; keywords the grammar does not know are left out.
 */
export function toGrammarSchema(schema) {
  if (!schema || typeof schema !== "object") return { type: "string" };
  const description = typeof schema.description === "string"
    ? { description: schema.description }
    : {};
  if ("const" in schema) return { const: schema.const, ...description };
  if (Array.isArray(schema.enum)) return { enum: schema.enum, ...description };
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives)) {
    return { oneOf: alternatives.map(toGrammarSchema), ...description };
  }
  const type = schema.type;
  if (Array.isArray(type)) {
    return {
      oneOf: type.map((t) => toGrammarSchema({ ...schema, type: t })),
      ...description,
    };
  }
  if (type === "object") {
    const required = new Set(schema.required ?? []);
    const properties = {};
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      const converted = toGrammarSchema(sub);
      properties[key] = required.has(key)
        ? converted
        : { oneOf: [converted, { type: "null" }] };
    }
    return { type: "object", properties, ...description };
  }
  if (type === "array") {
    return {
      type: "array",
      items: toGrammarSchema(schema.items),
      ...description,
    };
  }
  if (["string", "number", "integer", "boolean", "null"].includes(type)) {
    return { type, ...description };
  }
  return { type: "string", ...description };
}

/** Drops the nulls standing for optional arguments the model left out. */
export function withoutNulls(value) {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).filter(([, v]) => v !== null).map((
        [k, v],
      ) => [k, withoutNulls(v)]),
    );
  }
  return value;
}

/**
 * The JSON objects that start in `text` at a `{` followed by `"name"`, each cut at its
 * balancing brace (braces inside strings ignored): a call with prose or a stray fence around it.
 */
function embeddedObjects(text) {
  const found = [];
  for (const m of text.matchAll(/\{\s*"name"\s*:/g)) {
    let depth = 0, inString = false, escaped = false;
    for (let i = m.index; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === "\\") escaped = true;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === "{") depth++;
      else if (c === "}" && --depth === 0) {
        found.push(text.slice(m.index, i + 1));
        break;
      }
    }
  }
  return found;
}

/**
 * Tool calls a small model wrote as text instead of its native syntax: `<tool_call>` blocks,
 * else fenced JSON blocks, else the whole reply as JSON, else `{"name": …}` objects embedded
 * in prose — each `{"name", "arguments"}` naming an offered tool. Anything else stays text.
 */
export function toolCallsInText(text, functions) {
  if (!functions || !text) return [];
  const candidates = [];
  for (
    const m of text.matchAll(/<tool_call>\s*([\s\S]*?)\s*(?:<\/tool_call>|$)/g)
  ) {
    candidates.push(m[1]);
  }
  if (candidates.length === 0) {
    for (
      const m of text.matchAll(/```(?:json|tool_call)?\s*\n([\s\S]*?)```/g)
    ) {
      candidates.push(m[1]);
    }
  }
  if (candidates.length === 0) candidates.push(text.trim());
  const calls = parseCalls(candidates, functions);
  return calls.length > 0
    ? calls
    : parseCalls(embeddedObjects(text), functions);
}

function parseCalls(candidates, functions) {
  const calls = [];
  for (const candidate of candidates) {
    let parsed;
    try {
      parsed = JSON.parse(candidate);
    } catch {
      continue;
    }
    for (const call of Array.isArray(parsed) ? parsed : [parsed]) {
      const name = call?.name ?? call?.function?.name;
      let params = call?.arguments ?? call?.parameters ??
        call?.function?.arguments ?? {};
      if (typeof params === "string") {
        try {
          params = JSON.parse(params);
        } catch {
          /* passed on as it is: the client reports invalid arguments */
        }
      }
      // The tool list echoed back is no call: a declaration has a description
      // or a JSON schema where a call has its arguments.
      const declared = call?.description !== undefined ||
        call?.function?.description !== undefined ||
        (params?.type === "object" && typeof params?.properties === "object");
      if (
        typeof name === "string" && Object.hasOwn(functions, name) && !declared
      ) {
        calls.push({ functionName: name, params });
      }
    }
  }
  return calls;
}
