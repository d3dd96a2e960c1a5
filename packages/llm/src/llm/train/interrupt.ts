// Ctrl-C during a training run, the same for every run: the first SIGINT asks the run to stop after
// the current step (it then saves its checkpoint or model and reports status 'stopped', which the
// CLI turns into exit code 130); a second one quits at once with 130, as a shell expects of a
// process ended by SIGINT (128 + 2).
export interface Interrupt {
  // True once Ctrl-C was pressed.
  readonly requested: boolean;
  // Stops listening (in a finally block, so that a finished run leaves no handler behind).
  dispose(): void;
}

export function listenForInterrupt(enabled: boolean, say: (text: string) => void, what: string): Interrupt {
  const state = { requested: false };
  const quit = () => process.exit(130);
  const onSigint = () => {
    state.requested = true;
    say(`interrupted: ${what} after this step (Ctrl-C again to quit at once)\n`);
    process.once('SIGINT', quit);
  };
  if (enabled) process.once('SIGINT', onSigint);
  return {
    get requested() {
      return state.requested;
    },
    dispose() {
      process.removeListener('SIGINT', onSigint);
      process.removeListener('SIGINT', quit);
    },
  };
}
