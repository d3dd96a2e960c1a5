// What a user sees while training: on a terminal, a cli-progress bar on stderr with the step, the
// loss, tokens per second and the time left, and the book's result lines printed above it; elsewhere
// (pipes, logs) the result lines on stdout and a plain step line on stderr for the first step and
// at every tenth of the run, with no carriage returns.
import cliProgress from 'cli-progress';
import { canRedraw } from 'llm-scratch-core/terminal';

interface ProgressIO {
  stdout(text: string): void;
  stderr(text: string): void;
  progressBar: boolean;
}

export class Progress {
  private readonly multi: cliProgress.MultiBar | null = null;
  private readonly bar: cliProgress.SingleBar | null = null;
  private readonly t0 = performance.now();
  private tokens0: number | null = null;
  private lastTenth = -1;

  constructor(
    private readonly io: ProgressIO,
    private readonly total: number,
    startStep: number,
  ) {
    if (io.progressBar && canRedraw(process.stderr)) {
      this.multi = new cliProgress.MultiBar(
        {
          stream: process.stderr,
          format: 'step {value}/{total} |{bar}| loss {loss} | {rate} tok/s | ETA {eta_formatted}',
          barsize: 30,
          hideCursor: true,
          clearOnComplete: false,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar = this.multi.create(total, startStep, { loss: '-', rate: '-' });
    }
  }

  step(step: number, loss: number, tokensSeen: number): void {
    if (!this.io.progressBar) return;
    // The rate over this process's steps (a resumed run's earlier tokens are not ours).
    this.tokens0 ??= tokensSeen;
    const seconds = (performance.now() - this.t0) / 1000;
    const rate = seconds > 0 ? Math.round((tokensSeen - this.tokens0) / seconds) : 0;
    if (this.bar) {
      this.bar.update(step, { loss: loss.toFixed(3), rate: String(rate) });
      return;
    }
    const tenth = this.total > 0 ? Math.floor((10 * step) / this.total) : 10;
    if (this.lastTenth < 0 || tenth > this.lastTenth) {
      this.lastTenth = tenth;
      this.io.stderr(`step ${step}/${this.total}: loss ${loss.toFixed(3)}, ${rate} tok/s\n`);
    }
  }

  // A result line (evaluation, sample): stdout, or above the bar when both streams are the terminal.
  result(text: string): void {
    if (this.multi && process.stdout.isTTY) this.multi.log(text);
    else this.io.stdout(text);
  }

  // A message for stderr that must not tear the bar.
  log(text: string): void {
    if (this.multi) this.multi.log(text);
    else this.io.stderr(text);
  }

  stop(): void {
    this.multi?.stop();
  }
}
