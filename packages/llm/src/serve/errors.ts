// The API's errors, in OpenAI's shape ({"error": {"message", "type", "param", "code"}}) on every
// endpoint, so that OpenAI clients show them and the message always names the field at fault.
// `code` is a string (or null) as OpenAI's is: the official client prints a number as "404 404".
import type { FastifyError, FastifyInstance } from 'fastify';
import { AbortedError, QueueFullError } from './queue.js';

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  499: 'client_closed_request',
  500: 'server_error',
};

export function errorBody(
  statusCode: number,
  message: string,
  param: string | null = null,
  code: string | null = null,
) {
  return { error: { message, type: TYPES[statusCode] ?? 'error', param, code } };
}

interface ValidationIssue {
  instancePath: string;
  message?: string;
  params: { missingProperty?: string; additionalProperty?: string };
}

// The field an Ajv error is about, as a path: 'maxNewTokens', 'messages/0/role'.
function fieldOf(issue: ValidationIssue): string {
  const base = issue.instancePath.replace(/^\//, '');
  const child = issue.params.missingProperty ?? issue.params.additionalProperty;
  return child ? (base ? `${base}/${child}` : child) : base || 'body';
}

function describe(issue: ValidationIssue, field: string): string {
  if (issue.params.missingProperty) return `${field}: required`;
  if (issue.params.additionalProperty) return `${field}: unknown field`;
  return `${field}: ${issue.message ?? 'invalid'}`;
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.validation?.length) {
      const issue = error.validation[0] as ValidationIssue;
      const field = fieldOf(issue);
      const code = issue.params.missingProperty ? 'missing_required_parameter' : 'invalid_value';
      return reply.code(400).send(errorBody(400, describe(issue, field), field, code));
    }
    if (error instanceof ApiError)
      return reply
        .code(error.statusCode)
        .send(errorBody(error.statusCode, error.message, error.param, error.code));
    if (error instanceof QueueFullError) {
      return reply
        .code(429)
        .header('retry-after', '1')
        .send(errorBody(429, error.message, null, 'rate_limit_exceeded'));
    }
    // The client is gone; nobody reads this.
    if (error instanceof AbortedError) return reply.code(499).send(errorBody(499, error.message));
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) reply.log.error(error);
    return reply.code(status).send(errorBody(status, status === 500 ? 'internal error' : error.message));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send(errorBody(404, `no route ${request.method} ${request.url.split('?')[0]}`, null, 'unknown_url')),
  );
}
