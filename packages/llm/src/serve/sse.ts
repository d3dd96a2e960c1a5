// Server-sent events on a hijacked Fastify reply: the headers once, then one `data:` line per
// message (with an `event:` line when named), written as they come.
import type { FastifyReply } from 'fastify';

export class EventStream {
  private readonly res: FastifyReply['raw'];

  constructor(reply: FastifyReply) {
    reply.hijack();
    this.res = reply.raw;
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      // Proxies such as nginx would otherwise hold the tokens back.
      'x-accel-buffering': 'no',
    });
  }

  get closed(): boolean {
    return this.res.writableEnded || this.res.destroyed;
  }

  send(data: unknown, event?: string): void {
    this.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
  }

  // A literal data line, such as OpenAI's closing `data: [DONE]`.
  sendRaw(data: string): void {
    this.write(`data: ${data}\n\n`);
  }

  end(): void {
    if (!this.closed) this.res.end();
  }

  private write(chunk: string): void {
    if (!this.closed) this.res.write(chunk);
  }
}
