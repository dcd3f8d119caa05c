const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** A small document shaped like the one `cxagent serve` emits (`GET /api/openapi.json`): optional bearer security. */
export const SAMPLE_OPENAPI = {
  openapi: '3.0.3',
  info: {
    title: 'cxagent API',
    version: '0.1.0',
    description: 'Customer-experience regressions in fulfillment data: incidents, root causes and recommended actions.',
  },
  paths: {
    '/api/health': {
      get: {
        summary: 'Server status, version, and the loaded data range',
        operationId: 'GET /api/health',
        parameters: [],
        responses: {
          '200': {
            description: 'The server is up',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['status', 'version'],
                  properties: {
                    status: { type: 'string', enum: ['ok'] },
                    version: { type: 'string' },
                    data: {
                      type: 'object',
                      nullable: true,
                      properties: { orders: { type: 'integer' }, start_date: { type: 'string', format: 'date' } },
                    },
                  },
                },
              },
            },
          },
          '500': errorResponse('An internal error'),
        },
      },
    },
    '/api/incidents': {
      get: {
        summary: 'Incidents, most severe first',
        parameters: [
          { name: 'severity', in: 'query', required: false, description: 'Only this severity', schema: { type: 'string', enum: ['high', 'low'] } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1 } },
        ],
        responses: {
          '200': {
            description: 'A page of incidents',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    incidents: { type: 'array', items: { $ref: '#/components/schemas/Incident' } },
                    total: { type: 'integer' },
                  },
                },
              },
            },
          },
          '400': errorResponse('A malformed parameter or body; the message names it'),
        },
      },
    },
    '/api/incidents/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, description: 'Incident id', schema: { type: 'string' } }],
      patch: {
        summary: 'Acknowledge or resolve an incident',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['status'],
                properties: {
                  status: { type: 'string', enum: ['open', 'acknowledged', 'resolved'] },
                  note: { type: 'string', description: 'Free text kept with the incident' },
                },
              },
            },
          },
        },
        responses: {
          '200': { description: 'The updated incident', content: { 'application/json': { schema: { $ref: '#/components/schemas/Incident' } } } },
          '404': errorResponse('No such resource'),
        },
      },
    },
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    schemas: {
      Incident: {
        type: 'object',
        required: ['id'],
        properties: { id: { type: 'string' }, severity: { type: 'string' }, cx_delta: { type: 'number' } },
      },
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message', 'details'],
            properties: {
              code: { type: 'string' },
              message: { type: 'string' },
              details: { type: 'object' },
            },
          },
        },
      },
    },
  },
  security: [{}, { bearer: [] }],
};
