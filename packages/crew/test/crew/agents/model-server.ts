// A local stand-in of the model APIs the agent programs speak, replaying a scripted session: the
// Anthropic Messages API (POST /v1/messages, streaming server-sent events or plain JSON; Claude
// Code) and OpenAI's Responses API (POST /v1/responses, streaming; Codex, through a provider's
// base_url). The n-th reply of the agent's conversation is step n of the script (a tool call, or
// the final text). Requests outside the conversation (a title, a topic; they come without the
// agent's tools) get a short text. Every request is kept for the test.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Step = { text: string } | { tool: string; input: Record<string, unknown> };

export interface MessagesRequest {
  model?: string;
  stream?: boolean;
  system?: unknown;
  tools?: { name?: string; type?: string }[];
  messages: { role: string; content: unknown }[];
}

/** Responses API input items: messages, the model's function calls and their outputs. */
interface ResponsesRequest {
  model?: string;
  tools?: { name?: string; type?: string }[];
  input: { type?: string; output?: unknown }[];
}

export interface StandIn {
  url: string;
  requests: MessagesRequest[];
  /** The tool results the agent sent back, in order. */
  toolResults: string[];
  close(): Promise<void>;
}

const blocks = (content: unknown): Record<string, unknown>[] =>
  Array.isArray(content) ? (content as Record<string, unknown>[]) : [{ type: 'text', text: String(content) }];

/** Which step the conversation is at: one per assistant turn already in it. */
const stepIndex = (r: MessagesRequest) => r.messages.filter((m) => m.role === 'assistant').length;

const resultText = (b: Record<string, unknown>) =>
  blocks(b.content)
    .map((c) => String(c.text ?? ''))
    .join('');

function sse(res: import('node:http').ServerResponse, model: string, step: Step, n: number): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (type: string, data: Record<string, unknown>) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  send('message_start', {
    message: {
      id: `msg_${n}`,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 50, output_tokens: 1 },
    },
  });
  if ('text' in step) {
    send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: step.text } });
  } else {
    send('content_block_start', {
      index: 0,
      content_block: { type: 'tool_use', id: `toolu_${n}`, name: step.tool, input: {} },
    });
    send('content_block_delta', {
      index: 0,
      delta: { type: 'input_json_delta', partial_json: JSON.stringify(step.input) },
    });
  }
  send('content_block_stop', { index: 0 });
  send('message_delta', {
    delta: { stop_reason: 'text' in step ? 'end_turn' : 'tool_use', stop_sequence: null },
    usage: { output_tokens: 20 },
  });
  send('message_stop', {});
  res.end();
}

function json(res: import('node:http').ServerResponse, model: string, step: Step, n: number): void {
  const content =
    'text' in step
      ? [{ type: 'text', text: step.text }]
      : [{ type: 'tool_use', id: `toolu_${n}`, name: step.tool, input: step.input }];
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: `msg_${n}`,
      type: 'message',
      role: 'assistant',
      model,
      content,
      stop_reason: 'text' in step ? 'end_turn' : 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 50, output_tokens: 20 },
    }),
  );
}

function responsesSse(res: import('node:http').ServerResponse, step: Step, n: number): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (type: string, data: Record<string, unknown>) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  send('response.created', { response: { id: `resp_${n}` } });
  const item =
    'text' in step
      ? {
          type: 'message',
          id: `msg_${n}`,
          role: 'assistant',
          content: [{ type: 'output_text', text: step.text, annotations: [] }],
        }
      : {
          type: 'function_call',
          id: `fc_${n}`,
          call_id: `call_${n}`,
          name: step.tool,
          arguments: JSON.stringify(step.input),
        };
  send('response.output_item.done', { output_index: 0, item });
  send('response.completed', {
    response: {
      id: `resp_${n}`,
      usage: {
        input_tokens: 50,
        input_tokens_details: null,
        output_tokens: 20,
        output_tokens_details: null,
        total_tokens: 70,
      },
    },
  });
  res.end();
}

const outputText = (o: unknown): string =>
  typeof o === 'string' ? o : Array.isArray(o) ? o.map((c) => String(record(c).text ?? '')).join('') : '';
const record = (v: unknown) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {});

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `script`: the conversation's steps. `agentTool`: a tool only the agent's own conversation offers
 * (Claude Code's Bash, Codex's exec_command), which tells it from side requests.
 */
export async function startStandIn(script: Step[], agentTool = 'Bash'): Promise<StandIn> {
  const requests: MessagesRequest[] = [];
  const toolResults: string[] = [];
  let served = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const text = await body(req);
      if (req.method === 'POST' && /\/v1\/responses(\?|$)/.test(req.url ?? '')) {
        const r = JSON.parse(text) as ResponsesRequest;
        requests.push({ model: r.model, tools: r.tools, messages: [] });
        const n = ++served;
        let step: Step = { text: 'Stand-in title' };
        if ((r.tools ?? []).some((t) => t.name === agentTool)) {
          const last = r.input.at(-1);
          if (last?.type === 'function_call_output') toolResults.push(outputText(last.output));
          const calls = r.input.filter((i) => i.type === 'function_call').length;
          step = script[Math.min(calls, script.length - 1)]!;
        }
        responsesSse(res, step, n);
        return;
      }
      if (req.method !== 'POST' || !/\/v1\/messages(\?|$)/.test(req.url ?? '')) {
        // count_tokens and anything else: an answer that is well-formed and says nothing.
        res.writeHead(req.url?.includes('count_tokens') ? 200 : 404, { 'content-type': 'application/json' });
        res.end(req.url?.includes('count_tokens') ? '{"input_tokens":50}' : '{}');
        return;
      }
      const r = JSON.parse(text) as MessagesRequest;
      requests.push(r);
      const n = ++served;
      const model = r.model ?? 'claude-stand-in';
      let step: Step = { text: 'OK' };
      if ((r.tools ?? []).some((t) => t.name === agentTool)) {
        const last = r.messages.at(-1);
        if (last?.role === 'user')
          for (const b of blocks(last.content)) if (b.type === 'tool_result') toolResults.push(resultText(b));
        step = script[Math.min(stepIndex(r), script.length - 1)]!;
      }
      (r.stream ? sse : json)(res, model, step, n);
    })().catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    toolResults,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
