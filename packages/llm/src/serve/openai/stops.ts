// Stop sequences as OpenAI applies them: the text ends before the first stop sequence, also when it
// spans tokens, and a stream never shows text that may turn out to be the start of one (it is held
// back until the next tokens tell).
export class StopScanner {
  private text = '';
  private released = 0;
  private readonly longest: number;
  stopped = false;

  // stops: the stop sequences (none empty); release: text that is final, in order.
  constructor(
    private readonly stops: readonly string[],
    private readonly release: (text: string, end: number) => void,
  ) {
    this.longest = Math.max(0, ...stops.map((s) => s.length));
  }

  // The text so far (cut before a stop sequence once one came).
  get value(): string {
    return this.text;
  }

  // Adds the next piece of text; true when a stop sequence has now ended the text.
  push(piece: string): boolean {
    if (this.stopped) return true;
    this.text += piece;
    // A stop sequence cannot start in released text: its start would have been held back.
    let cut = -1;
    for (const stop of this.stops) {
      const at = this.text.indexOf(stop, this.released);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) {
      this.text = this.text.slice(0, cut);
      this.stopped = true;
      this.flush();
      return true;
    }
    this.releaseUpTo(this.text.length - this.heldBack());
    return false;
  }

  // The generation ended: whatever was held back is final.
  flush(): void {
    this.releaseUpTo(this.text.length);
  }

  // How many characters at the end of the text are the start of a stop sequence.
  private heldBack(): number {
    for (let k = Math.min(this.longest - 1, this.text.length - this.released); k > 0; k--) {
      const tail = this.text.slice(-k);
      if (this.stops.some((s) => s.startsWith(tail))) return k;
    }
    return 0;
  }

  private releaseUpTo(end: number): void {
    if (end < this.released) return;
    const piece = this.text.slice(this.released, end);
    this.released = end;
    this.release(piece, end);
  }
}
