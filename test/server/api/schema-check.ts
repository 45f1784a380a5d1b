// A JSON Schema check of real answers against the OpenAPI document's schemas (openapi-lint.test.ts,
// health.test.ts): the subset of JSON Schema the document's components use.
export type Schema = Record<string, unknown>;
export type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};
export type Operation = {
  operationId: string;
  parameters?: { name?: string; in?: string; schema?: Schema }[];
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};

/** Keywords that only annotate: they never make a value invalid. */
const ANNOTATIONS = new Set(["description", "default", "examples", "title", "contentMediaType", "deprecated"]);

/**
 * The problems of `value` against `schema` (the JSON Schema subset the document's components use; a
 * keyword this does not know is itself a problem, so the check never passes by ignoring one).
 */
export function check(doc: Document, schema: Schema, value: unknown, at = ""): string[] {
  const problems: string[] = [];
  const fail = (message: string) => problems.push(`${at || "/"}: ${message}`);
  const typeOf = (v: unknown) =>
    v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v;
  for (const [keyword, argument] of Object.entries(schema)) {
    const arg = argument as any;
    switch (keyword) {
      case "$ref": {
        const name = String(arg).replace("#/components/schemas/", "");
        const target = doc.components.schemas[name];
        if (!target) fail(`no component ${arg}`);
        else problems.push(...check(doc, target, value, at));
        break;
      }
      case "type": {
        const types = Array.isArray(arg) ? arg : [arg];
        const actual = typeOf(value);
        if (!types.includes(actual) && !(actual === "integer" && types.includes("number")))
          fail(`${JSON.stringify(value)?.slice(0, 60)} is not ${types.join(" or ")}`);
        break;
      }
      case "properties":
        if (typeOf(value) !== "object") break;
        for (const [name, sub] of Object.entries(arg as Record<string, Schema>)) {
          if (name in (value as object))
            problems.push(...check(doc, sub, (value as Record<string, unknown>)[name], `${at}/${name}`));
        }
        break;
      case "required":
        if (typeOf(value) !== "object") break;
        for (const name of arg as string[]) if (!(name in (value as object))) fail(`${name} is missing`);
        break;
      case "additionalProperties":
        if (typeOf(value) !== "object") break;
        for (const [name, sub] of Object.entries(value as Record<string, unknown>)) {
          if (name in ((schema.properties as object | undefined) ?? {})) continue;
          if (arg === false) fail(`${name} is not in the schema`);
          else problems.push(...check(doc, arg as Schema, sub, `${at}/${name}`));
        }
        break;
      case "propertyNames":
        if (typeOf(value) !== "object") break;
        for (const name of Object.keys(value as object)) problems.push(...check(doc, arg, name, `${at}/${name}`));
        break;
      case "items":
        if (Array.isArray(value)) value.forEach((item, i) => problems.push(...check(doc, arg, item, `${at}/${i}`)));
        break;
      case "enum":
        if (!(arg as unknown[]).includes(value)) fail(`${JSON.stringify(value)} is not one of ${arg.join(", ")}`);
        break;
      case "const":
        if (value !== arg) fail(`${JSON.stringify(value)} is not ${JSON.stringify(arg)}`);
        break;
      case "anyOf":
        if (!(arg as Schema[]).some((sub) => check(doc, sub, value, at).length === 0))
          fail(
            `matches none of anyOf: ${(arg as Schema[]).map((sub) => check(doc, sub, value, at).join("; ")).join(" | ")}`,
          );
        break;
      case "minimum":
        if (typeof value === "number" && value < arg) fail(`${value} < ${arg}`);
        break;
      case "maximum":
        if (typeof value === "number" && value > arg) fail(`${value} > ${arg}`);
        break;
      case "minLength":
        if (typeof value === "string" && value.length < arg) fail(`shorter than ${arg}`);
        break;
      case "maxLength":
        if (typeof value === "string" && value.length > arg) fail(`longer than ${arg}`);
        break;
      case "minItems":
        if (Array.isArray(value) && value.length < arg) fail(`fewer than ${arg} items`);
        break;
      case "maxItems":
        if (Array.isArray(value) && value.length > arg) fail(`more than ${arg} items`);
        break;
      default:
        if (!ANNOTATIONS.has(keyword)) fail(`the check does not know the keyword ${keyword}`);
    }
  }
  return problems;
}

/** A path's operations by method (a path item's `servers` is not an operation). */
export function operationsOf(pathItem: Record<string, Operation>): [string, Operation][] {
  return Object.entries(pathItem).filter(([method]) => method !== "servers");
}

/** The URL of `route` on a server at `base`: under /api/v1, unless the path names its own server (the root). */
export function urlOf(doc: Document, base: string, route: string): string {
  const servers = (doc.paths[route] as { servers?: { url: string }[] }).servers;
  return servers?.[0]?.url === "/" ? `${base}${route}` : `${base}/api/v1${route}`;
}
