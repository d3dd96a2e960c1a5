// bench:gemm's --shape: any product written M,K,N,TA,TB, and one line (exit 2) for anything else.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseGemmShape } from '../../src/backend/bench-gemm.js';

const packageRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('parseGemmShape', () => {
  it('reads the sizes and the two transpose flags', () => {
    expect(parseGemmShape('384,256,1024,1,0')).toEqual({
      m: 384,
      k: 256,
      n: 1024,
      transA: true,
      transB: false,
    });
    expect(parseGemmShape('1,1,1,0,1')).toEqual({ m: 1, k: 1, n: 1, transA: false, transB: true });
  });

  it('refuses what is not a product', () => {
    for (const spec of [
      '512,768,768,0',
      '512,768,768,0,0,0',
      '0,768,768,0,0',
      '512,768,768,2,0',
      '512,-1,768,0,0',
      '512,7.5,768,0,0',
      '512, 768,768,0,0',
      '',
      'a,b,c,d,e',
    ])
      expect(parseGemmShape(spec), spec).toBeNull();
  });
});

describe('npm run bench:gemm -- --shape', () => {
  it('names a malformed shape in one line and exits 2 before timing anything', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bench/gemm.ts', '--shape', '512,768,768,0,0', '--shape', '512x768'],
      {
        cwd: packageRoot,
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(
      "bench:gemm: --shape takes M,K,N,TA,TB (sizes of at least 1; TA, TB 0 or 1), got '512x768'",
    );
  });
});
