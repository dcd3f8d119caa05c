import {
  isReference,
  refName,
  resolveRef,
  schemaLabel,
  type OpenApiDocument,
  type Reference,
  type Schema,
} from '@/docs/lib/openapi';

type SchemaViewProps = {
  doc: OpenApiDocument;
  schema: Schema | Reference | undefined;
  /** References already being expanded above this one, to stop at cycles. */
  trail?: string[];
  /** The property this schema describes, shown on the same line as its type. */
  name?: string;
  required?: boolean;
};

function PropertyName({ name, required }: { name?: string; required?: boolean }) {
  if (name === undefined) return null;
  return (
    <>
      <span className="font-mono text-xs font-semibold text-slate-900">{name}</span>
      {required ? <span className="ml-1 text-xs font-medium text-rose-700">required</span> : null}
      <span className="text-slate-400">: </span>
    </>
  );
}

function Constraints({ schema }: { schema: Schema }) {
  const parts: string[] = [];
  if (schema.enum) parts.push(`one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`);
  if (schema.minimum !== undefined) parts.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined) parts.push(`≤ ${schema.maximum}`);
  if (schema.pattern) parts.push(`pattern ${schema.pattern}`);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  if (parts.length === 0) return null;
  return <span className="text-xs text-slate-500">{parts.join(' · ')}</span>;
}

/**
 * A schema as a readable tree: each property with its type, whether it is
 * required, its constraints and description; `$ref`s are named and expanded.
 */
export function SchemaView({ doc, schema, trail = [], name, required: isRequired }: SchemaViewProps) {
  const lead = <PropertyName name={name} required={isRequired} />;
  if (!schema) {
    return (
      <div className="text-sm">
        {lead}
        <span className="font-mono text-xs text-slate-500">any</span>
      </div>
    );
  }

  let resolved: Schema;
  let nextTrail = trail;
  if (isReference(schema)) {
    if (trail.includes(schema.$ref)) {
      return (
        <div className="text-sm">
          {lead}
          <span className="font-mono text-xs text-indigo-700">{refName(schema.$ref)} (recursive)</span>
        </div>
      );
    }
    try {
      resolved = resolveRef<Schema>(doc, schema);
    } catch (error) {
      return (
        <div className="text-sm">
          {lead}
          <span className="text-xs text-rose-700">{error instanceof Error ? error.message : String(error)}</span>
        </div>
      );
    }
    nextTrail = [...trail, schema.$ref];
  } else {
    resolved = schema;
  }

  const title = isReference(schema) ? refName(schema.$ref) : undefined;
  const itemSchema = resolved.type === 'array' ? resolved.items : undefined;
  // `array of string` says it all; arrays of objects or references get their items expanded.
  const showItems =
    itemSchema !== undefined &&
    (isReference(itemSchema) || itemSchema.properties !== undefined || itemSchema.type === 'array');
  const properties = Object.entries(resolved.properties ?? {});
  const required = new Set(resolved.required ?? []);
  const variants = resolved.oneOf ?? resolved.anyOf ?? resolved.allOf;

  return (
    <div className="text-sm">
      {lead}
      <span className="font-mono text-xs text-slate-700">
        {title ? <span className="font-semibold text-indigo-700">{title}</span> : null}
        {title ? ' ' : null}
        {title ? `(${schemaLabel(resolved)})` : schemaLabel(resolved)}
      </span>{' '}
      <Constraints schema={resolved} />
      {resolved.description ? <p className="mt-1 text-xs text-slate-600">{resolved.description}</p> : null}
      {showItems ? (
        <div className="mt-1 border-l-2 border-slate-200 pl-3">
          <span className="text-xs text-slate-500">items: </span>
          <SchemaView doc={doc} schema={itemSchema} trail={nextTrail} />
        </div>
      ) : null}
      {variants ? (
        <ul className="mt-1 space-y-1 border-l-2 border-slate-200 pl-3">
          {variants.map((variant, index) => (
            <li key={index}>
              <SchemaView doc={doc} schema={variant} trail={nextTrail} />
            </li>
          ))}
        </ul>
      ) : null}
      {properties.length > 0 ? (
        <ul className="mt-1 space-y-1.5 border-l-2 border-slate-200 pl-3">
          {properties.map(([key, property]) => (
            <li key={key}>
              <SchemaView doc={doc} schema={property} trail={nextTrail} name={key} required={required.has(key)} />
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
