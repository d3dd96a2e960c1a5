// The one place that decides how output looks: redraws and colours on a terminal only, NO_COLOR
// and FORCE_COLOR honoured, and a counter that writes plain lines into a pipe.
import { describe, expect, it } from 'vitest';
import { canRedraw, colorEnabled, counter } from '../src/terminal.js';

const tty = { isTTY: true };
const pipe = { isTTY: false };

describe('colorEnabled and canRedraw', () => {
  it.each([
    ['a terminal', tty, {}, true],
    ['a pipe', pipe, {}, false],
    ['NO_COLOR on a terminal', tty, { NO_COLOR: '1' }, false],
    ['an empty NO_COLOR (no-color.org: ignored)', tty, { NO_COLOR: '' }, true],
    ['FORCE_COLOR into a pipe', pipe, { FORCE_COLOR: '1' }, true],
    ['FORCE_COLOR=0 on a terminal', tty, { FORCE_COLOR: '0' }, false],
    ['NO_COLOR over FORCE_COLOR', tty, { NO_COLOR: '1', FORCE_COLOR: '1' }, false],
    ['a dumb terminal', tty, { TERM: 'dumb' }, false],
  ])('%s', (_, stream, env, expected) => {
    expect(colorEnabled(stream, env)).toBe(expected);
  });

  it('redraws on a terminal only, whatever the colours', () => {
    expect(canRedraw(tty, { NO_COLOR: '1' })).toBe(true);
    expect(canRedraw(pipe, { FORCE_COLOR: '1' })).toBe(false);
    expect(canRedraw(tty, { TERM: 'dumb' })).toBe(false);
  });
});

describe('counter', () => {
  it('redraws one line in place on a terminal, and ends it', () => {
    let out = '';
    const c = counter((t) => (out += t), 'responses', 3, true);
    [1, 2, 3].forEach((d) => c.update(d));
    c.end();
    expect(out).toBe('\rresponses: 1/3\rresponses: 2/3\rresponses: 3/3\n');
  });

  it('writes a plain line at every tenth and at the end into a pipe', () => {
    const lines: string[] = [];
    const c = counter((t) => lines.push(t), 'scoring', 25, false);
    for (let d = 1; d <= 25; d++) c.update(d);
    c.end();
    expect(lines).toEqual([3, 5, 8, 10, 13, 15, 18, 20, 23, 25].map((d) => `scoring: ${d}/25\n`));
    expect(lines.join('')).not.toContain('\r');
  });
});
