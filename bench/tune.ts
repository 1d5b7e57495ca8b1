// `npm run bench -- tune [--scenarios xrbench/vr_gaming,mixed/reading_assistant] [--load auto|X]
//   [--loads 0.9,0.8,0.7,0.6] [--load-basis both|layer|model] [--budget 60s] [--candidates N] [--validate 10s] [--validate-top 3]
//   [--space live|full] [--profile-missing] [--calibrated] [--speed-drift auto|SD] [--quick] [--json]`
//
// Per scenario, with the newest stored (measured) profiles of its models (--profile-missing makes
// short ones first), at a load where the untuned policies miss deadlines:
//   - the tuner's search (engine tune.run, worker threads), with its wall time;
//   - in the simulator: the best untuned policy's UXCost (default lanes and parameters, at layer and at model granularity) vs the
//     tuned schedule's, mean and 95% CI over the seeds; target: tuned >= 20% lower. UXCost ranks
//     candidates under the miss cap (a schedule that wins by dropping frames does not win);
//   - the floor (each tenant alone on the machine): how much better any schedule that runs every
//     frame could be, so that a small gain can be told from a missing lever;
//   - live on this machine (--validate, default 10 s; 0 skips): the best untuned policy and the top
//     --validate-top tuned candidates, predicted vs measured miss rate and energy, what of each the
//     live runtime applied (pins, late drop, fixed variants) and what it could not.
//
// The load (--load auto, the default). Frame rates are scaled so that the busiest lane of the
// default layout is X busy with every layer on its fastest lane; deadlines follow the frame period.
// A single X for every scenario is wrong: where one tenant holds most of a lane (vr_gaming's hand
// tracker), its own latency reaches its deadline at the same X at which the lanes fill, so at 0.9
// the misses are that tenant's alone (the floor misses them too: no schedule avoids them), and at
// 0.7 nothing misses at all. Measured here (stored profiles, 5 seeds x 10 s, best untuned miss /
// floor headroom): vr_gaming 0.75: 0.3% / 1%; 0.8: 2.5% / 28%; 0.85: 5.5% / 10%; 0.9: 11.7% / 10%;
// reading_assistant 0.7: 2.2% / 75%; 0.8: 5.3% / 47%; 0.9: 4.8% / 46%. So `auto` probes the ladder
// (--loads, high to low: baselines and floor only, no search) and tunes at the load, among those
// where the best untuned policy misses at least 1% of frames with no tenant infeasible, where the
// floor leaves the most room (misses the schedule can avoid rather than the tenants' own latency);
// it stops probing once nothing misses. The probes are printed.
// The load basis (--load-basis both, the default): what a frame costs when the load is computed.
// 'layer': the sum of its layers; 'model': the measured whole model, which runs well under the sum
// (hand tracker 0.30x, ocr_rec 0.70x). The baselines run at both granularities, so with layer sums
// only, model granularity is idle where layers overflow (vr_gaming at 0.9: every untuned policy
// at model granularity 0.0% miss) and no probe finds a load where the best untuned policy misses;
// 'both' probes the ladder on each basis and chooses among all the probes. Measured (15:23 UTC,
// load ~18, model basis, best untuned miss / floor headroom): vr_gaming 0.9 infeasible (FBNet
// alone), 0.8: 16.8% / 0.6%, 0.7: 2.2% / 0.7% (the misses are FBNet's own); reading_assistant
// 0.7-0.9: 4.9% (terastal drops every OCR frame) / <= 1.2%, 0.6: 1.6% / 57% (a loose floor: it is
// on the one cpu:2 lane, where each tenant alone meets its deadline but together they share it).
// A fixed --load X is used as given
// (lowered, as before, until the tightest tenant alone uses 90% of its deadline where infeasible).
// --space live (default): what the live runtime applies (policy, parameters, lanes, granularity,
// queue bound, late drop, pinning, 'original'/'fastest' variant choices); full: also the 'policy'
// variant choice (the policy picks among the profiled variants; live runs the originals).
// The machine's load average is printed: on a shared machine, live figures move with it.
// --calibrated: the stored machine calibration (tessera calibrate --lanes of every layout) applied
// to the profiles' latencies (tune --calibrated), so that lanes sharing cores are not predicted
// as fast as one lane alone.
//
// Layer variants in the profiles (the tuner's 'fastest' choice). `tessera variants PROFILE --kinds
// int8-static,fp16 [--samples DIR]` (profiler/variants/run.ts) adds verified variants and the
// combinations verified together to that stored profile; tune uses the newest stored profile of each
// model (scheduler/tune-run.ts newestProfiles), so a variant run on it is what the search sees.
// --profile-missing makes variants only for a tenant that misses its deadline alone (default kinds,
// the library's sample inputs): not for PP-OCR det, whose map IoU is empty on noise (bench/variants.ts
// textPage), so variants for a tenant with task-level limits are a separate, stated step. A tenant
// with limits (a whitelist) gets under 'fastest' the fastest combination of its whitelist as verified
// (space.ts fastestCombination); its loss lowers every frame's baseAccuracy.
// Measured 20:36-20:58 UTC, store /tmp/tunevar-home (fresh: tessera scenario profiles
// mixed/reading_assistant --lanes cpu:1,cpu:2 --profile-missing --budget 6s; then tessera variants on
// ocr_det --kinds int8-static,fp16 --budget 30s --samples <a text page, textPage> and on ocr_rec
// --budget 20s; load average 4-8 from other jobs): ocr_det int8-static x1.07 median per layer, fp16
// x0.95; under minMapIoU 0.9, 'fastest' = int8-staticx16 (IoU 0.981) on the cpu:1 lanes, frame
// 437 -> 385 ms; bestx32 (IoU 0.993) on cpu:2, 440 -> 353 ms; ocr_rec fp16 picks within its additive
// budget 0.01, x1.05. Tune (--budget 60s --validate 10s): auto chose 0.8 (model basis; untuned
// dream_static misses 35.5%): tuned UXCost 0.2468 -> 0.1347, 45.4% lower, BUT the tuned schedule
// misses MORE (38.8%, within the 1.1x + 0.5 pt cap): it drops eyes frames (94.8% missed) and wins on
// energy; every top-3 candidate pins ocr_det + ocr_rec to one lane with ocr_det 'fastest'. Rerun
// 21:21 (--validate-top 2, load average 6): 0.2468 -> 0.1264, 48.8% lower, 39.1% vs 35.5% miss; live
// untuned 41.0% miss, 36.2 J (estimated); tuned #1 40.4%, 22.2 J, ocr_det's 16 int8-static layers
// made, verified and run live; eyes missed 100% live in every run (predicted 80-96%). At
// --load 0.7 --load-basis model (edf misses 8.0%, nearly all of it eyes: 18.6%; ES_RITNet's layers sum to
// 60 ms on a cpu:1 lane, 24 ms on cpu:2, frame period 45 ms there) the tuned schedule is untuned edf: 0.0% lower; eyes has no accuracy limit,
// so no variant of it may run. Live figures at load average 6-9 are not usable (untuned edf 95% miss).
// vr_gaming (21:00-21:20 UTC, same store; fresh profiles of GE_FBNet_C and HT_hand_graph_cnn_half,
// then tessera variants on GE_FBNet_C --kinds int8-static,fp16,resolution,arch-prune --budget 20s on
// the replica's sample input): int8-static x2.32 (cpu:1) / x1.83 (cpu:2) median per layer, fp16
// x0.97; resolution(s=0.75) end-to-end relL2 0.98, arch-prune n/a. The replicas' weights are
// synthetic, so the only limit stated is NUMERICAL: workloads/scenarios/vr_gaming_numeric.json, the
// same scenario with maxOutputRelErr 0.01 on every tenant (chosen before measuring; NOT task accuracy).
// Under it FBNet's 'fastest' is int8-staticx8 (relL2 0.008; 8 layers), its frame 339 -> 170 ms
// (cpu:1). --scenarios workloads/scenarios/vr_gaming_numeric.json --budget 60s --validate 10s
// --validate-top 2: auto chose 0.9 (layer basis, rates x0.060): best untuned terastal (which may
// pick FBNet's variants itself) 0.1267, 13.7% miss (FBNet 37.8%); tuned dream_static, FBNet
// 'fastest', ES_RITNet pinned: 0.0066, 0.0% miss: 94.8% lower; search 60.6 s wall. Without the limit
// (xrbench/vr_gaming --load 0.9 --load-basis layer): best untuned terastal 36.4% miss, tuned = it,
// 0.0% lower. Live (load average 4-7): untuned 63.6% miss, tuned 47.5% / 46.5% (FBNet 100% -> 56%,
// the hand tracker 100% in every run): the live machine was too loaded for the figures to check the
// prediction.
// Rerun 2026-12-03 01:32-01:54 UTC (load average 1-2, no other jobs; --budget 60s --validate 10s
// --validate-top 2), the miss cap now the least-missing untuned policy + 0.5 points (was x1.1 + 0.5):
// xrbench/vr_gaming (store above): auto chose 0.9 layer basis (rates x0.060): best untuned lsf 0.3575,
// 34.7% miss; tuned dream_static on one cpu:2 lane at model granularity 0.2017, 16.8% miss: 43.6%
// lower (2496 candidates, 60.2 s); live: untuned 84.8% miss, 93.3 J est.; tuned #1 0.0%, 75.0 J est.
// mixed/reading_assistant, same store: 0.8 model basis: dream_static 0.2468, 35.5% -> tuned
// dream_static (searched weights, queue 8, pins, ocr_det 'fastest') 0.1926, 35.5%: 22.0% lower (the
// old cap's 48.8% came with 3.6 points more misses); live: untuned 0.0% miss (the profiles were
// measured at load 4-8: eyes' 60 ms on cpu:1 was ~29 ms quiet), tuned #1 3.7%. With eyes, kws and vad
// re-profiled quiet (copy of the store, 01:37): auto chose 0.9 model basis (rates x1.162): untuned
// dream 0.2978, 37.4% -> tuned dream on one cpu:2 lane 0.0303, 4.7%: 89.8% lower, BUT it drops every
// OCR frame (predicted ocr_det 100%, ocr_rec 100% missed: the miss rate counts frames, and OCR has 2
// of ~95 per second). Live at this load on 2 shared cores moved 43% -> 65% between two runs of the same
// untuned schedule minutes apart: not usable to confirm either way. That run also found PP-OCRv4 rec
// (opset 9, with Slice) cannot take fixed variants at model granularity live (embedVariants loadable).
// 2026-12-03 03:49-04:20 UTC, fresh store, every model re-profiled quiet (tessera scenario profiles
// ... --lanes cpu:1,cpu:2 --profile-missing --budget 6s; load average 1.4-2.0, no other jobs), the
// per-tenant miss caps (miss-cap.ts), --budget 60s --validate 10s --validate-top 2:
//   no speed drift (then the only model): reading_assistant auto 0.8 model basis: untuned edf 0.2101,
//   27.8% -> tuned dream (searched weights, queue 8) 0.1690, 24.0%: 19.5% lower, FAIL; live untuned
//   51.3%, tuned #1 15.0%, #2 16.8% (the ranking holds live, the figures do not). vr_gaming auto 0.9
//   layer basis: untuned lsf 0.3219, 31.2% -> tuned edf on one cpu:2 lane, model granularity 0.0100,
//   0.0%: 96.9% lower; live untuned 99.3%, tuned #1 (edf) 78.3%, tuned #2 (dream_static, same lane)
//   9.8%. The live cpu:2 lane ran each whole model ~20% slower than its profile (FBNet 139 ms vs
//   114; a re-profile 5 minutes later: 135 ms): at 90% predicted utilisation EDF's backlog never
//   drains, DREAM's drops recover. --calibrated (tessera calibrate --lanes cpu:1,cpu:1,cpu:2: cpu:1
//   with cpu:1#1 x1.06, dispatch 130-250 us idle / 930-960 us with the other lane busy): the
//   two-lane predictions move toward live (vr untuned lsf at model granularity 35.4% -> live 42.0%;
//   reading_assistant untuned dream 37.0% -> live 21.1%, now pessimistic), the one-lane cpu:2 layout
//   does not (tuned edf 0.0% -> live 74.8%): nothing in the calibration covers the machine's drift.
//   With the speed drift (sd 0.1, the default since): vr_gaming 0.9 layer basis: tuned dream_static
//   on cpu:2, model granularity, queue 4, 0.0100 vs untuned dream_static 0.2916: 96.6% lower (the
//   tuner no longer picks EDF at 90%); reading_assistant 0.8 model basis: untuned dream 0.2201
//   [0.0700, 0.3702], 29.0%: no tuned candidate within the miss caps beats it (0.0% lower, FAIL).
// 2026-12-03 06:53-07:00 UTC (same quiet store plus `tessera variants` int8-static,fp16 of ocr_det on a
// text page and of ocr_rec; load average ~2 from the tune itself), the speed drift now measured from
// the profiles' drift checks (vr_gaming sd 0.127, reading_assistant 0.139, 6 checks each), variants
// an opset-9 model cannot take whole left out at model granularity, --budget 60s --validate 10s
// --validate-top 2: vr_gaming auto 0.9 layer basis: untuned dysta 0.3243, 30.8% -> tuned dream_static
// on cpu:2, model granularity, queue 4, drop late, ES_RITNet pinned: 0.0145, 0.4%: 95.5% lower
// (paired 95% CI 57.1% to 100%), PASS, 2080 candidates in 60.3 s; live untuned 42.7% (one run's
// interval 8.5-53.1%), tuned #1 0.0% (0.0-3.3%), hindsight 0.0%. reading_assistant auto 0.9 model
// basis: untuned dream_static 0.2983, 39.8% -> tuned terastal (budget share 1, queue 8, eyes pinned,
// ocr_rec 'fastest': 18 fp16 layers) 0.1551, 35.0%: 48.0% lower (paired CI 17.9% to 78.1%: its lower
// end under the 20% target), PASS on the mean, 1976 candidates in 60.0 s; live untuned 14.9% (interval
// 14.2-65.4%), tuned #1 40.6% (12.0-58.0%), the 18 fp16 layers applied live: both within their
// intervals, but the ranking flipped live (eyes, pinned to one cpu:1 lane, missed 100% live against
// 31.2% unpinned). Before the variant fix the same schedule was predicted with int8 ocr_rec layers that
// the live run could not put in the opset-9 model (it ran the originals: ocr_det 80%, ocr_rec 63% missed).
import { loadavg } from 'node:os';
import { localClient } from '../engine/local';
import type { TuneRunResult } from '../engine/features/tune';
import { formatValidation, headroomText } from '../cli/commands/tune';
import { simulatorOnlyLevers } from '../scheduler/core/tune';

const pct = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-');

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

function seconds(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s);
  if (!m) throw new Error(`bad duration ${s} (10s, 2m)`);
  return Number(m[1]) * (m[2] === 'ms' ? 1e-3 : m[2] === 'm' ? 60 : 1);
}

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const quick = argv.includes('--quick');
  const scenarios = (arg(argv, 'scenarios') ?? 'xrbench/vr_gaming,mixed/reading_assistant').split(',');
  const loadArg = arg(argv, 'load') ?? 'auto';
  const fixedLoad = loadArg === 'auto' ? undefined : Number(loadArg);
  if (fixedLoad !== undefined && !(fixedLoad > 0)) throw new Error(`--load takes auto or a number > 0 (got ${loadArg})`);
  const ladder = (arg(argv, 'loads') ?? '0.9,0.8,0.7,0.6').split(',').map(Number).sort((a, b) => b - a);
  if (ladder.some((x) => !(x > 0))) throw new Error(`--loads takes numbers > 0 (got ${arg(argv, 'loads')})`);
  const basisArg = arg(argv, 'load-basis') ?? (fixedLoad !== undefined ? 'layer' : 'both');
  if (!['both', 'layer', 'model'].includes(basisArg)) throw new Error(`--load-basis takes both, layer or model (got ${basisArg})`);
  if (fixedLoad !== undefined && basisArg === 'both') throw new Error('a fixed --load takes --load-basis layer or model');
  const bases: LoadBasis[] = basisArg === 'both' ? ['model', 'layer'] : [basisArg as LoadBasis];
  const candidatesArg = arg(argv, 'candidates');
  const budget = arg(argv, 'budget') ?? (quick || candidatesArg ? undefined : '60s');
  const validateSec = seconds(arg(argv, 'validate') ?? (quick ? '0s' : '10s'));
  const space = arg(argv, 'space') ?? 'live';
  if (space !== 'live' && space !== 'full') throw new Error(`--space takes live or full (got ${space})`);
  const validateTop = Number(arg(argv, 'validate-top') ?? 3);
  // auto (the default): the engine estimates it from the profiles' drift checks.
  const driftArg = arg(argv, 'speed-drift');
  const drift = driftArg !== undefined && driftArg !== 'auto' ? { speedDrift: Number(driftArg) } : {};
  const budgetParams = budget ? { candidates: candidatesArg ? Number(candidatesArg) : 100_000, budgetSec: seconds(budget) } : { candidates: Number(candidatesArg ?? 24) };
  const { client, close } = localClient();
  const rows: { scenario: string; load?: number; basis?: LoadBasis; probes?: Probe[]; loadNote?: string; result?: TuneRunResult; error?: string; untunedUx?: number; tunedUx?: number; improvement?: number; pass?: boolean }[] = [];
  try {
    for (const scenario of scenarios) {
      process.stderr.write(`tune bench: ${scenario} at load ${loadArg}, budget ${budget ?? `${budgetParams.candidates} candidates`}${validateSec ? `, live validation ${validateSec} s each` : ''} (load average ${loadavg()[0].toFixed(2)})\n`);
      try {
        const call = (l: number, basis: LoadBasis, probe = false) =>
          client.call(
            'tune.run',
            { scenario, load: l, loadGranularity: basis, objective: 'uxcost', ...(probe ? { candidates: 1 } : budgetParams), simulatorOnly: space === 'full', validateTop, machineCalibration: argv.includes('--calibrated'), profileMissing: argv.includes('--profile-missing'), profileBudgetSec: quick ? 5 : 15, durationSec: quick ? 5 : 10, simSeeds: quick ? 3 : 5, validateSec: probe ? 0 : validateSec, ...drift },
            { onProgress: (p) => process.stderr.write(`\r\x1b[2K  ${probe ? `probing load ${l} (${basis} basis): ` : ''}${p.message}`) },
          );
        let load = fixedLoad;
        let basis: LoadBasis = bases[0];
        let probes: Probe[] | undefined;
        let loadNote: string | undefined;
        if (load === undefined) {
          probes = [];
          for (const b of bases)
            for (const l of ladder) {
              const t = (await call(l, b, true)).result;
              const miss = t.bestBaseline?.missRate.mean ?? NaN;
              probes.push({ load: l, basis: b, infeasible: (t.infeasible ?? []).map((x) => x.tenant), bestUntuned: t.bestBaseline ? `${t.bestBaseline.candidate.policy} (${t.bestBaseline.candidate.granularity})` : undefined, untunedMissRate: miss, floorMissRate: t.floor?.missRate, headroom: t.floor?.headroom });
              if (!t.infeasible?.length && miss < MIN_MISS) break; // lower loads miss less still
            }
          const chosen = chooseLoad(probes);
          load = chosen.load;
          basis = chosen.basis ?? basis;
          loadNote = chosen.note;
        }
        let r = await call(load, basis);
        if (fixedLoad !== undefined && r.result.infeasible?.length) {
          // Deadlines follow the frame period here, so a tenant's isolated latency / deadline scales
          // with the load: retry at the load where the tightest tenant uses 90% of its deadline.
          const worst = Math.max(...(r.result.infeasible ?? []).map((x) => x.bestIsolatedMs / x.deadlineMs));
          const lower = (load * 0.9) / worst;
          process.stderr.write(`\r\x1b[2K  infeasible at load ${load} (${(r.result.infeasible ?? []).map((x) => x.tenant).join(', ')}); retrying at load ${lower.toFixed(3)}\n`);
          loadNote = `load lowered from ${load} to ${lower.toFixed(3)}: infeasible at ${load}`;
          load = lower;
          r = await call(lower, basis);
        }
        process.stderr.write('\r\x1b[2K');
        const t = r.result;
        const untunedUx = t.bestBaseline?.uxcost.mean;
        const tunedUx = t.best?.uxcost.mean;
        const improvement = untunedUx !== undefined && tunedUx !== undefined ? (untunedUx - tunedUx) / untunedUx : undefined;
        rows.push({ scenario, load, basis, probes, loadNote, result: r, untunedUx, tunedUx, improvement, pass: improvement !== undefined && improvement >= 0.2 });
      } catch (e) {
        process.stderr.write('\r\x1b[2K');
        rows.push({ scenario, error: (e as Error).message });
      }
    }
  } finally {
    close();
  }
  if (json) {
    process.stdout.write(JSON.stringify({ load: loadArg, loads: ladder, loadBasis: basisArg, budget, validateSec, space, loadAverage: loadavg()[0], target: 'tuned UXCost >= 20% below the best untuned policy (simulator)', rows: rows.map(({ result, ...x }) => ({ ...x, ...(result ? { wallSec: result.wallSec, workers: result.workers, candidatesTried: result.result.candidatesTried, simulations: result.result.simulations, status: result.result.status, infeasible: result.result.infeasible, best: result.result.best?.candidate, bestBaseline: result.result.bestBaseline?.candidate.policy, bestBaselineMissRate: result.result.bestBaseline?.missRate.mean, tunedMissRate: result.result.best?.missRate.mean, missCap: result.result.missCap, tenantMissCaps: result.result.tenantMissCaps, perTenant: result.result.best?.perTenant.map((x, i) => ({ tenant: x.tenant, tunedMissRate: x.missRate.mean, untunedMissRate: result.result.bestBaseline?.perTenant[i].missRate.mean })), floor: result.result.floor, validation: result.validation, profiles: result.profiles } : {}) })) }, null, 2) + '\n');
    return 0;
  }
  const out: string[] = [];
  for (const r of rows) {
    out.push(`${r.scenario}:`);
    if (r.error || !r.result) {
      out.push(`  FAILED: ${r.error}`);
      continue;
    }
    const t = r.result.result;
    if (t.status === 'infeasible' || !t.best || !t.bestBaseline) {
      out.push(`  INFEASIBLE on this machine: ${(t.infeasible ?? []).map((x) => `${x.tenant} needs ${x.bestIsolatedMs.toFixed(1)} ms alone, deadline ${x.deadlineMs.toFixed(1)} ms`).join('; ')}`);
      continue;
    }
    const bb = t.bestBaseline!;
    const b = t.best!;
    if (r.probes) out.push(`  load probes (baselines and floor, no search): ${r.probes.map((p) => `${p.load} (${p.basis ?? 'layer'} basis): ${p.infeasible.length ? `infeasible (${p.infeasible.join(', ')})` : `${p.bestUntuned} misses ${pct(p.untunedMissRate)}, floor ${pct(p.floorMissRate)}, headroom ${pct(p.headroom)}`}`).join('; ')}`);
    out.push(`  load ${r.load?.toFixed(3)} (${r.basis ?? 'layer'} basis: ${r.basis === 'model' ? 'busiest lane with every model run whole on its fastest lane' : 'busiest lane with every layer on its fastest lane'})${r.loadNote ? `: ${r.loadNote}` : ''}`);
    out.push(`  tuning: ${t.candidatesTried} candidates, ${t.simulations} simulations, ${r.result.workers} workers, ${r.result.wallSec.toFixed(1)} s wall (frame rates x${r.result.rateScale.toFixed(3)}; latencies measured: ${Object.values(r.result.profiles).join(', ')}${r.result.calibration ? `; machine calibration ${[...new Set(r.result.calibration.map((c) => c.key))].join(', ')} applied` : ''}; speed drift ${r.result.speedDrift.detail})`);
    out.push(`  best untuned: ${bb.candidate.policy} (lanes ${r.result.layouts[0].join('+')}, ${bb.candidate.granularity} granularity): UXCost ${bb.uxcost.mean.toFixed(4)} [${bb.uxcost.lo.toFixed(4)}, ${bb.uxcost.hi.toFixed(4)}], miss rate ${pct(bb.missRate.mean)}`);
    out.push(`  tuned: ${r.result.schedule?.policy.spec} (lanes ${r.result.layouts[b.candidate.layout].join('+')}, ${b.candidate.granularity} granularity, queue ${b.candidate.maxQueuePerTenant}): UXCost ${b.uxcost.mean.toFixed(4)} [${b.uxcost.lo.toFixed(4)}, ${b.uxcost.hi.toFixed(4)}], miss rate ${pct(b.missRate.mean)}`);
    const paired = t.improvementInterval && t.improvementInterval.n > 1 && t.objective.kind === 'uxcost' ? ` [95% CI ${pct(t.improvementInterval.lo)}, ${pct(t.improvementInterval.hi)}, paired seed by seed]` : '';
    out.push(`  UXCost ${r.improvement !== undefined ? `${(100 * r.improvement).toFixed(1)}% lower${paired}` : '-'} (target >= 20%): ${r.pass ? 'PASS' : 'FAIL'}${t.missCap !== undefined ? ` (ranked among schedules missing at most ${pct(t.missCap)} in all and per tenant ${(t.tenantMissCaps ?? []).map((x) => `${x.tenant} ${pct(x.missCap)}`).join(', ')})` : ''}`);
    out.push(`  per tenant, untuned -> tuned miss rate: ${b.perTenant.map((x, i) => `${x.tenant} ${pct(bb.perTenant[i].missRate.mean)} -> ${pct(x.missRate.mean)}`).join(', ')}`);
    // UXCost multiplies energy by (miss + 0.01): a schedule that skips frames saves energy, so a gain with more misses is said as such.
    if (b.missRate.mean > bb.missRate.mean) out.push(`  NOTE: the tuned schedule misses more frames than the best untuned policy (${pct(b.missRate.mean)} vs ${pct(bb.missRate.mean)}): its UXCost gain is energy saved on frames it does not run`);
    if (t.floor) out.push(`  floor (each tenant alone, lanes ${r.result.layouts[t.floor.layout ?? 0]?.join('+')}): UXCost ${t.floor.uxcost.toFixed(4)}, miss rate ${pct(t.floor.missRate)}, energy ${t.floor.energyJ.toFixed(2)} J: ${t.floor.headroom !== undefined ? headroomText(t.floor.headroom) : '-'}; per tenant ${t.floor.perTenant.map((x) => `${x.tenant} ${pct(x.missRate)}`).join(', ')}`);
    if (!r.pass && t.floor?.headroom !== undefined && t.floor.headroom < 0.2) out.push(`  out of reach for a schedule that runs every frame: the floor is ${pct(Math.max(0, t.floor.headroom))} below the best untuned policy here (misses it cannot avoid are each tenant's own, alone on the machine)`);
    const levers = simulatorOnlyLevers(b.candidate, r.result.tenants, r.result.variantTenants);
    if (levers.length) out.push(`  the tuned schedule uses ${levers.join(', ')}: simulator only, the live runtime runs without them`);
    for (const v of formatValidation(r.result.validation ?? [], r.result.validationFailed)) out.push(`  live${v}`);
  }
  out.push(`load average now ${loadavg()[0].toFixed(2)}`);
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

/** What a frame costs when the load is computed: its layers' sum, or the measured whole model. */
export type LoadBasis = 'layer' | 'model';

/** A probe of one load: the best untuned policy's miss rate and the floor's room there. */
export interface Probe {
  load: number;
  /** Absent: 'layer'. */
  basis?: LoadBasis;
  infeasible: string[];
  bestUntuned?: string;
  untunedMissRate: number;
  floorMissRate?: number;
  headroom?: number;
}

/** Below this the untuned policies do not "miss deadlines" (a few frames of noise). */
const MIN_MISS = 0.01;

/**
 * The load to tune at: among the probed loads where the best untuned policy misses at least 1% of
 * frames and no tenant is infeasible, the one where the floor leaves the most room (ties: the
 * higher load); else the highest feasible load, said so.
 */
export function chooseLoad(probes: readonly Probe[]): { load: number; basis?: LoadBasis; note: string } {
  const at = (p: Probe) => ({ load: p.load, ...(p.basis ? { basis: p.basis } : {}) });
  const missing = probes.filter((p) => !p.infeasible.length && p.untunedMissRate >= MIN_MISS);
  if (missing.length) {
    const best = missing.reduce((a, b) => ((b.headroom ?? -Infinity) > (a.headroom ?? -Infinity) ? b : a));
    return { ...at(best), note: `chosen: the untuned policies miss ${pct(best.untunedMissRate)} here, and the floor leaves the most room (${pct(best.headroom)}) of the loads where they miss >= ${pct(MIN_MISS)}` };
  }
  const feasible = probes.filter((p) => !p.infeasible.length);
  if (feasible.length) return { ...at(feasible[0]), note: `NO probed load where the untuned policies miss >= ${pct(MIN_MISS)} of frames with every tenant feasible: tuned at the highest feasible one` };
  return { ...at(probes.at(-1)!), note: 'every probed load has an infeasible tenant: tuned at the lowest' };
}
