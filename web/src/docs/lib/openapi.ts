/**
 * The subset of OpenAPI 3.0 that `cxagent serve` emits (`GET /api/openapi.json`),
 * plus the helpers the docs page needs: `$ref` resolution and grouping.
 */

export type Reference = { $ref: string };

export type Schema = {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  nullable?: boolean;
  enum?: unknown[];
  default?: unknown;
  example?: unknown;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  required?: string[];
  properties?: Record<string, Schema | Reference>;
  additionalProperties?: boolean | Schema | Reference;
  items?: Schema | Reference;
  oneOf?: (Schema | Reference)[];
  anyOf?: (Schema | Reference)[];
  allOf?: (Schema | Reference)[];
};

export type MediaType = { schema?: Schema | Reference; example?: unknown };

export type Parameter = {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  description?: string;
  schema?: Schema | Reference;
};

export type RequestBody = {
  description?: string;
  required?: boolean;
  content?: Record<string, MediaType>;
};

export type ResponseObject = {
  description?: string;
  content?: Record<string, MediaType>;
};

export type Operation = {
  summary?: string;
  description?: string;
  operationId?: string;
  tags?: string[];
  parameters?: (Parameter | Reference)[];
  requestBody?: RequestBody | Reference;
  responses?: Record<string, ResponseObject | Reference>;
  security?: Record<string, string[]>[];
};

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type PathItem = Partial<Record<HttpMethod, Operation>> & {
  parameters?: (Parameter | Reference)[];
  summary?: string;
  description?: string;
};

export type OpenApiDocument = {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, PathItem>;
  components?: {
    schemas?: Record<string, Schema | Reference>;
    parameters?: Record<string, Parameter | Reference>;
    requestBodies?: Record<string, RequestBody | Reference>;
    responses?: Record<string, ResponseObject | Reference>;
    securitySchemes?: Record<string, { type: string; scheme?: string; description?: string }>;
  };
  security?: Record<string, string[]>[];
};

/** One method on one path, with its path-level parameters merged in and references resolved. */
export type ResolvedOperation = {
  id: string;
  method: HttpMethod;
  path: string;
  summary?: string;
  description?: string;
  parameters: Parameter[];
  requestBody?: RequestBody;
  responses: { status: string; response: ResponseObject }[];
};

export type OperationGroup = { name: string; operations: ResolvedOperation[] };

export function isReference(value: unknown): value is Reference {
  return typeof value === 'object' && value !== null && typeof (value as Reference).$ref === 'string';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The last segment of a local reference: `#/components/schemas/Error` → `Error`. */
export function refName(ref: string): string {
  return decodePointerToken(ref.slice(ref.lastIndexOf('/') + 1));
}

function decodePointerToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/**
 * Follows a local JSON pointer (`#/components/schemas/X`) inside the document,
 * through chains of references. Throws on external, missing or circular ones.
 */
export function resolveRef<T>(doc: OpenApiDocument, value: T | Reference): T {
  const seen = new Set<string>();
  let current: unknown = value;
  while (isReference(current)) {
    const ref = current.$ref;
    if (!ref.startsWith('#/')) throw new Error(`Only local references are supported: ${ref}`);
    if (seen.has(ref)) throw new Error(`Circular reference: ${ref}`);
    seen.add(ref);
    let target: unknown = doc;
    for (const token of ref.slice(2).split('/').map(decodePointerToken)) {
      target = isRecord(target) ? target[token] : undefined;
    }
    if (target === undefined) throw new Error(`Unresolved reference: ${ref}`);
    current = target;
  }
  return current as T;
}

/** The group an endpoint belongs to: its first path segment after `/api` (`/api/incidents/{id}` → `incidents`). */
export function groupName(path: string): string {
  const segments = path.split('/').filter(Boolean);
  const rest = segments[0] === 'api' ? segments.slice(1) : segments;
  const first = rest[0] ?? '';
  return first === '' ? 'root' : first.replace(/\.json$/, '');
}

/** Every operation of the document, resolved and grouped by path prefix, groups in first-seen order. */
export function groupOperations(doc: OpenApiDocument): OperationGroup[] {
  const groups = new Map<string, ResolvedOperation[]>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const shared = (item.parameters ?? []).map((p) => resolveRef<Parameter>(doc, p));
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const own = (operation.parameters ?? []).map((p) => resolveRef<Parameter>(doc, p));
      // Operation-level parameters override path-level ones with the same name and location.
      const parameters = [
        ...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)),
        ...own,
      ];
      const responses = Object.entries(operation.responses ?? {})
        .map(([status, response]) => ({ status, response: resolveRef<ResponseObject>(doc, response) }))
        .sort((a, b) => a.status.localeCompare(b.status));
      const resolved: ResolvedOperation = {
        id: `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, '-').replace(/-+$/, ''),
        method,
        path,
        summary: operation.summary,
        description: operation.description,
        parameters,
        requestBody: operation.requestBody ? resolveRef<RequestBody>(doc, operation.requestBody) : undefined,
        responses,
      };
      const name = groupName(path);
      groups.set(name, [...(groups.get(name) ?? []), resolved]);
    }
  }
  return [...groups].map(([name, operations]) => ({ name, operations }));
}

/** Short type label of a schema: `string (date)`, `array of Incident`, `Error`, `object`, `integer | null`. */
export function schemaLabel(schema: Schema | Reference | undefined): string {
  if (!schema) return 'any';
  if (isReference(schema)) return refName(schema.$ref);
  let label: string;
  if (schema.type === 'array') label = `array of ${schemaLabel(schema.items)}`;
  else if (schema.oneOf || schema.anyOf) label = (schema.oneOf ?? schema.anyOf ?? []).map(schemaLabel).join(' | ');
  else if (schema.allOf) label = schema.allOf.map(schemaLabel).join(' & ');
  else label = schema.type ?? (schema.properties ? 'object' : 'any');
  if (schema.format) label += ` (${schema.format})`;
  if (schema.nullable) label += ' | null';
  return label;
}

/** An example value built from a schema, to prefill the JSON body editor. */
export function exampleFor(doc: OpenApiDocument, schema: Schema | Reference | undefined, depth = 0): unknown {
  if (!schema || depth > 6) return null;
  let resolved: Schema;
  try {
    resolved = resolveRef<Schema>(doc, schema);
  } catch {
    return null;
  }
  if (resolved.example !== undefined) return resolved.example;
  if (resolved.default !== undefined) return resolved.default;
  if (resolved.enum && resolved.enum.length > 0) return resolved.enum[0];
  const variants = resolved.oneOf ?? resolved.anyOf;
  if (variants?.[0]) return exampleFor(doc, variants[0], depth + 1);
  switch (resolved.type) {
    case 'array':
      return [exampleFor(doc, resolved.items, depth + 1)];
    case 'string':
      return resolved.format === 'date' ? '2026-01-31' : 'string';
    case 'integer':
    case 'number':
      return resolved.minimum ?? 0;
    case 'boolean':
      return false;
    default: {
      if (!resolved.properties) return {};
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(resolved.properties)) out[key] = exampleFor(doc, value, depth + 1);
      return out;
    }
  }
}

/** The JSON body schema of a request body, if it has one. */
export function jsonContent(content: Record<string, MediaType> | undefined): [string, MediaType] | undefined {
  if (!content) return undefined;
  const entries = Object.entries(content);
  return entries.find(([type]) => type.includes('json')) ?? entries[0];
}
