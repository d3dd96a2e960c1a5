// What the output may look like, decided in one place: a line redrawn in place (`\r`) and colours
// belong on a terminal only, so that a pipe or a log file gets plain lines. Colours follow
// https://no-color.org (NO_COLOR set and not empty turns them off) and FORCE_COLOR (set and not
// '0' or 'false' turns them on, for a terminal recorder); Ink's chalk ignores NO_COLOR, which is
// why the dashboard asks here.

interface Stream {
  isTTY?: boolean;
}

type Env = Record<string, string | undefined>;

// A progress line may be redrawn in place with `\r`.
export function canRedraw(stream: Stream = process.stderr, env: Env = process.env): boolean {
  return stream.isTTY === true && env.TERM !== 'dumb';
}

// Colours (and dim text) may be written to this stream.
export function colorEnabled(stream: Stream = process.stdout, env: Env = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  return canRedraw(stream, env);
}

/**
 * A counter of items done ("responses: 3/50") on stderr: redrawn in place on a terminal; elsewhere a
 * plain line at every tenth of the total and at the end, so that a log shows progress without
 * carriage returns. Call end() once after the last item.
 */
export function counter(
  write: (text: string) => void,
  label: string,
  total: number,
  redraw = canRedraw(),
): { update(done: number): void; end(): void } {
  let lastTenth = 0;
  let last = -1;
  return {
    update(done) {
      last = done;
      if (redraw) {
        write(`\r${label}: ${done}/${total}`);
        return;
      }
      const tenth = total > 0 ? Math.floor((10 * done) / total) : 10;
      if (tenth > lastTenth || done === total) {
        lastTenth = tenth;
        write(`${label}: ${done}/${total}\n`);
      }
    },
    end() {
      if (redraw && last >= 0) write('\n');
    },
  };
}

/**
 * Ends the process quietly, with exit code 0, when the reader of stdout or stderr goes away
 * (`llm-scratch tokenize --file big.txt | head -1`): Node ignores SIGPIPE and reports a write to a
 * closed pipe as an EPIPE error, which would otherwise surface as a stack trace. Installed once,
 * by the programs' entry points.
 */
export function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
}
