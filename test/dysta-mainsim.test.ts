// Cross-check: the policies `simulate` and `run` use (scheduler/core/policies), run through the main
// simulator in its one-lane, layer-preemptive mode (core/dysta/mainsim.ts), against the twin of
// Dysta's reference simulator (core/dysta, bit-exact with the reference's published outputs, see
// dysta-parity.test.ts) on the four ../shared/dysta-parity folders.
// - fcfs, sjf, planaria, sdrm3, dysta_naive and dysta_oracle reproduce the twin's finish times
//   exactly, once the twin keeps its clock monotonic (the reference's clock rewind is a quirk of its
//   loop that no real machine has; its effect is measured below).
// - prema and dysta differ on purpose (DYSTA_POLICY_MAP names how); the effect on violation rate
//   and ANTT is measured and printed, and the test checks the difference is real.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareTasks, DYSTA_POLICY_MAP, runDysta, runDystaOnSimulator, type DystaMetrics } from '../scheduler/core/dysta';
import { loadRequests, openParityFolder, requestFileFor } from '../scheduler/dysta-io';

const PARITY = [process.env.TESSERA_SHARED, join(__dirname, '..', '..', 'shared'), '/work/shared']
  .filter((d): d is string => Boolean(d))
  .map((d) => join(d, 'dysta-parity'))
  .find((d) => existsSync(d)) ?? join(__dirname, '..', '..', 'shared', 'dysta-parity');

/** Seed 1, SLO x10 (the tightest of the reference's set: most contention), the rates below. */
const FOLDERS: { name: string; rates?: number[] }[] = [
  { name: 'cnn_rates3-4' },
  { name: 'cnn_rates2-6', rates: [2, 4, 6] },
  { name: 'attnn_rates30-40' },
  { name: 'attnn_rates60-70' },
];
const SLO = 10;
const EXACT = DYSTA_POLICY_MAP.filter((p) => !p.difference);
const DIFFERENT = DYSTA_POLICY_MAP.filter((p) => p.difference);

const delta = (a: DystaMetrics, b: DystaMetrics) => `violation ${a.violationRate.toFixed(4)} -> ${b.violationRate.toFixed(4)} (${(b.violationRate - a.violationRate >= 0 ? '+' : '') + (b.violationRate - a.violationRate).toFixed(4)}), ANTT ${a.antt.toFixed(3)} -> ${b.antt.toFixed(3)} (${((b.antt / a.antt - 1) * 100).toFixed(1)}%)`;

it('maps every Tessera policy that implements a reference scheduler, and names each deliberate difference', () => {
  expect(EXACT.map((p) => p.policy)).toEqual(['fcfs', 'sjf', 'planaria', 'sdrm3', 'dysta_naive', 'dysta_oracle']);
  expect(DIFFERENT.map((p) => p.policy)).toEqual(['prema', 'dysta']);
  for (const p of DIFFERENT) expect(p.difference!.length).toBeGreaterThan(20);
});

for (const { name, rates } of FOLDERS) {
  const dir = join(PARITY, name);
  const have = existsSync(join(dir, 'lut.json'));
  describe.runIf(have)(`${name}: Tessera's policies in the main simulator vs the twin${have ? '' : ` [skipped: ${dir} not found]`}`, () => {
    const folder = have ? openParityFolder(dir) : undefined!;
    for (const rate of have ? (rates ?? folder.rates) : []) {
      const requests = () => loadRequests(requestFileFor(folder, 1, rate), folder.lut);

      it(`rate ${rate}: ${EXACT.map((p) => p.policy).join(', ')} finish every task when the twin does (bit for bit)`, () => {
        const reqs = requests();
        for (const p of EXACT) {
          const twin = runDysta(p.reference, folder.lut, reqs, { sloMult: SLO, monotonicClock: true });
          const main = runDystaOnSimulator(p.policy, p.reference, folder.lut, reqs, SLO);
          const cmp = compareTasks(main.tasks, twin.tasks, 0);
          expect(cmp.firstMismatch, `${p.policy} at rate ${rate}`).toBeUndefined();
          expect(cmp.compared).toBe(reqs.length);
          expect(main.metrics).toEqual(twin.metrics);
        }
      }, 60_000);

      it(`rate ${rate}: prema and dysta differ as named; the effect is measured`, () => {
        const reqs = requests();
        const lines: string[] = [];
        for (const p of DIFFERENT) {
          const twin = runDysta(p.reference, folder.lut, reqs, { sloMult: SLO, monotonicClock: true });
          const main = runDystaOnSimulator(p.policy, p.reference, folder.lut, reqs, SLO);
          const cmp = compareTasks(main.tasks, twin.tasks, 0);
          // The difference is real on every trace (else the entry in DYSTA_POLICY_MAP is stale).
          expect(cmp.match, `${p.policy} at rate ${rate} should differ from the reference`).toBe(false);
          expect(main.tasks.every((t) => Number.isFinite(t.finishTime))).toBe(true);
          lines.push(`  ${p.policy.padEnd(6)} reference -> Tessera: ${delta(twin.metrics, main.metrics)}`);
        }
        console.log(`${name} rate ${rate} SLO x${SLO} (seed 1):\n${lines.join('\n')}`);
      }, 60_000);
    }

    it("the reference's clock rewind (an idle machine jumps back to a request that arrived while the last task ran): its effect", () => {
      const rate = (rates ?? folder.rates)[0]; // the lowest rate: the machine falls idle most often
      const reqs = loadRequests(requestFileFor(folder, 1, rate), folder.lut);
      const lines: string[] = [];
      let changed = 0;
      for (const p of DYSTA_POLICY_MAP) {
        const ref = runDysta(p.reference, folder.lut, reqs, { sloMult: SLO });
        const mono = runDysta(p.reference, folder.lut, reqs, { sloMult: SLO, monotonicClock: true });
        if (!compareTasks(mono.tasks, ref.tasks, 0).match) changed++;
        lines.push(`  ${p.reference.padEnd(12)} rewinding -> monotonic: ${delta(ref.metrics, mono.metrics)}`);
      }
      console.log(`${name} rate ${rate} SLO x${SLO} (seed 1), clock rewind:\n${lines.join('\n')}`);
      // The quirk is real on every folder (some task started before its predecessor finished).
      expect(changed).toBeGreaterThan(0);
    }, 60_000);
  });
}
