// The whole process, start-up included, as a user runs it: our CLI (`node bin/llm-scratch.js
// tokenize --file F`, the built dist/ with its precompiled vocabulary) beside the same job written
// with tiktoken and with gpt-tokenizer (bench/lib/tokenize-peer.mjs), on a two-letter file and on a
// whole corpus. Each is run `runs` times in turn; the median wall time is reported, with the
// children's CPU time (user + system) from getrusage, which a loaded machine disturbs less. All
// three must print the same ids.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Timing {
  wall: number;
  cpu: number;
  stdout: string;
}

// CPU seconds of every child this process has waited for (RUSAGE_CHILDREN, through /proc/self/stat's
// cutime and cstime, in clock ticks of 1/100 s on Linux).
function childrenCpu(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

function run(command: string[]): Timing {
  const cpu0 = childrenCpu();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, command, { cwd: root, encoding: 'utf8', maxBuffer: 256 << 20 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${command.join(' ')} failed: ${r.stderr.trim().split('\n').at(-1)}`);
  return { wall, cpu: childrenCpu() - cpu0, stdout: r.stdout };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export interface WholeProcessRow {
  input: string;
  tool: string;
  wall: number;
  cpu: number;
}

export function wholeProcess(
  inputs: Array<[name: string, text: string]>,
  runs: number,
  log: (l: string) => void,
): WholeProcessRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'bench-process-'));
  const rows: WholeProcessRow[] = [];
  try {
    for (const [name, text] of inputs) {
      const file = join(dir, `${name.replace(/\W/g, '')}.txt`);
      writeFileSync(file, text);
      const tools: Array<[string, string[]]> = [
        ['llm-scratch CLI', ['bin/llm-scratch.js', 'tokenize', '--file', file]],
        ['tiktoken (WASM)', ['bench/lib/tokenize-peer.mjs', 'tiktoken', file]],
        ['gpt-tokenizer', ['bench/lib/tokenize-peer.mjs', 'gpt-tokenizer', file]],
      ];
      const times = tools.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
      let reference: string | null = null;
      // In turn, so that a change of load touches every tool alike.
      for (let r = 0; r < runs; r++) {
        tools.forEach(([tool, command], i) => {
          const t = run(command);
          reference ??= t.stdout;
          if (t.stdout !== reference) throw new Error(`${tool} prints other ids than llm-scratch on ${name}`);
          times[i].wall.push(t.wall);
          times[i].cpu.push(t.cpu);
        });
      }
      log(
        `\nwhole process on ${name} (${Buffer.byteLength(text)} bytes), median of ${runs} runs; identical ids`,
      );
      log('| tool | wall s | CPU s | llm-scratch / it (wall) |');
      log('| --- | --- | --- | --- |');
      tools.forEach(([tool], i) => {
        const row = { input: name, tool, wall: median(times[i].wall), cpu: median(times[i].cpu) };
        rows.push(row);
        const ours = median(times[0].wall);
        log(
          `| ${tool} | ${row.wall.toFixed(2)} | ${row.cpu.toFixed(2)} | ${i === 0 ? '' : `${(row.wall / ours).toFixed(2)}x`} |`,
        );
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
