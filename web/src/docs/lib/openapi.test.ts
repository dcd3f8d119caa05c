import { describe, expect, it } from 'vitest';
import {
  exampleFor,
  groupName,
  groupOperations,
  resolveRef,
  schemaLabel,
  type OpenApiDocument,
  type Schema,
} from '@/docs/lib/openapi';
import { SAMPLE_OPENAPI } from '@/docs/testing/sample-openapi';

describe('resolveRef', () => {
  it('follows a local reference to its component', () => {
    const schema = resolveRef<Schema>(SAMPLE_OPENAPI, { $ref: '#/components/schemas/Error' });
    expect(schema.required).toEqual(['error']);
  });

  it('follows chains of references and returns plain values untouched', () => {
    const doc: OpenApiDocument = {
      ...SAMPLE_OPENAPI,
      components: { schemas: { A: { $ref: '#/components/schemas/B' }, B: { type: 'integer' } } },
    };
    expect(resolveRef<Schema>(doc, { $ref: '#/components/schemas/A' })).toEqual({ type: 'integer' });
    const plain: Schema = { type: 'string' };
    expect(resolveRef(doc, plain)).toBe(plain);
  });

  it('throws on missing, circular and external references', () => {
    const doc: OpenApiDocument = {
      ...SAMPLE_OPENAPI,
      components: { schemas: { A: { $ref: '#/components/schemas/B' }, B: { $ref: '#/components/schemas/A' } } },
    };
    expect(() => resolveRef(doc, { $ref: '#/components/schemas/Nope' })).toThrow('Unresolved reference');
    expect(() => resolveRef(doc, { $ref: '#/components/schemas/A' })).toThrow('Circular reference');
    expect(() => resolveRef(doc, { $ref: 'other.json#/X' })).toThrow('Only local references');
  });
});

describe('groupOperations', () => {
  it('groups by the path segment after /api, keeping document order', () => {
    const groups = groupOperations(SAMPLE_OPENAPI);
    expect(groups.map((g) => g.name)).toEqual(['health', 'incidents']);
    expect(groups[1]?.operations.map((o) => `${o.method} ${o.path}`)).toEqual([
      'get /api/incidents',
      'patch /api/incidents/{id}',
    ]);
    expect(groupName('/api/openapi.json')).toBe('openapi');
    expect(groupName('/api/metrics/cx-score')).toBe('metrics');
  });

  it('merges path-level parameters, resolves the request body and sorts responses by status', () => {
    const patch = groupOperations(SAMPLE_OPENAPI)[1]?.operations[1];
    expect(patch?.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['path:id']);
    expect(patch?.requestBody?.required).toBe(true);
    expect(patch?.responses.map((r) => r.status)).toEqual(['200', '404']);
    expect(patch?.id).toBe('patch-api-incidents-id');
  });

  it('lets an operation parameter override a path parameter of the same name', () => {
    const doc: OpenApiDocument = {
      ...SAMPLE_OPENAPI,
      paths: {
        '/api/x/{id}': {
          parameters: [{ name: 'id', in: 'path', description: 'shared' }],
          get: { parameters: [{ name: 'id', in: 'path', description: 'own' }], responses: {} },
        },
      },
    };
    const op = groupOperations(doc)[0]?.operations[0];
    expect(op?.parameters).toEqual([{ name: 'id', in: 'path', description: 'own' }]);
  });
});

describe('schemaLabel and exampleFor', () => {
  it('labels references, arrays, formats and nullables', () => {
    expect(schemaLabel({ $ref: '#/components/schemas/Incident' })).toBe('Incident');
    expect(schemaLabel({ type: 'array', items: { $ref: '#/components/schemas/Incident' } })).toBe('array of Incident');
    expect(schemaLabel({ type: 'string', format: 'date', nullable: true })).toBe('string (date) | null');
    expect(schemaLabel(undefined)).toBe('any');
  });

  it('builds an example body from the schema, taking the first enum value', () => {
    const body = groupOperations(SAMPLE_OPENAPI)[1]?.operations[1]?.requestBody;
    const schema = body?.content?.['application/json']?.schema;
    expect(exampleFor(SAMPLE_OPENAPI, schema)).toEqual({ status: 'open', note: 'string' });
    expect(exampleFor(SAMPLE_OPENAPI, { $ref: '#/components/schemas/Incident' })).toEqual({
      id: 'string',
      severity: 'string',
      cx_delta: 0,
    });
  });
});
