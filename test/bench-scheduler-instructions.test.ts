// The pure part of `npm run bench -- scheduler-instructions` (bench/scheduler-instructions.ts):
// reading cachegrind's totals from its summary. The suite itself needs valgrind and runs as
// `npm run bench -- scheduler-instructions`.
import { describe, expect, it } from 'vitest';
import { cachegrindSummary } from '../bench/scheduler-instructions';

// valgrind-3.19.0's summary of `valgrind --tool=cachegrind --cache-sim=yes /bin/true` (abridged).
const withCacheSim = `==25914== Cachegrind, a cache and branch-prediction profiler
==25914== 
==25914== I   refs:      128,312
==25914== I1  misses:      1,091
==25914== LLi misses:      1,072
==25914== I1  miss rate:    0.85%
==25914== 
==25914== D   refs:       39,663  (29,397 rd   + 10,266 wr)
==25914== D1  misses:      1,492  ( 1,154 rd   +    338 wr)
`;

describe('cachegrindSummary', () => {
  it('reads the instruction count and I1 misses, thousands separators and all', () => {
    expect(cachegrindSummary(withCacheSim)).toEqual({ instructions: 128312, i1Misses: 1091 });
  });

  it('gives NaN misses without the cache simulation, and NaN instructions when valgrind printed no summary', () => {
    const noSim = cachegrindSummary('==1== I   refs:      2,533,694,841\n');
    expect(noSim.instructions).toBe(2533694841);
    expect(noSim.i1Misses).toBeNaN();
    expect(cachegrindSummary('valgrind: failed to start tool').instructions).toBeNaN();
  });
});
