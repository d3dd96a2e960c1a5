// Request bodies: JSON, which must be UTF-8 (RFC 8259, section 8.1). A body that is not UTF-8 gets a
// 400 naming the first bad byte's offset instead of being answered as U+FFFD text: unlike a CLI,
// the API has no stderr on which to warn and go on, and a client that sends Latin-1 should learn
// it at the first request. Fastify's own JSON parser (with its __proto__ guards) does the rest.
import type { FastifyInstance } from 'fastify';
import { utf8Problem } from '../io/utf8.js';
import { ApiError } from './errors.js';

export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const problem = utf8Problem(body as Buffer, 'the request body');
    if (problem !== null) {
      done(new ApiError(400, problem, 'body'), undefined);
      return;
    }
    parseJson(request, (body as Buffer).toString('utf8'), done);
  });
}
