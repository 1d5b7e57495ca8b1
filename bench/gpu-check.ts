// `npm run gpu-check [-- --out gpu-check.json] [--cuda] [--software-gpu] [--model ID,...] [--scenario S] [--duration SEC] [--budget SEC]`
//
// One script for a machine with an NVIDIA GPU, writing everything to one JSON file:
// - probes: `devices` with the software GPU probed too (so the file shows both kinds of adapter);
// - a real model profiled on cpu against the GPU lane (webgpu; cuda too with --cuda, after
//   `npm run setup:cuda`), with every lane's adapter;
// - nvidia-smi power, sampled at 5 Hz through the whole check (raw lines kept: they are a real
//   recording for the energy fixtures), with per-phase means;
// - a live XRBench run on cpu + GPU under dream and under edf, predicted vs measured per tenant.
// Where no hardware GPU lane is available (CI, the 2-core dev machines) it runs on webgpu:sw
// (SwiftShader) with a tiny scenario, and labels the whole file SOFTWARE: that proves the script
// works, never a GPU figure. --software-gpu forces the software lane.
// Everything goes through the engine API, as the app and the CLI use it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ResultOf } from '../engine/api';
import { localClient } from '../engine/local';

type DeviceReport = ResultOf<'devices.get'>;
type Accelerator = DeviceReport['accelerators'][number];

export interface GpuCheckPlan {
  /** The GPU lane measured: "webgpu" (hardware) or "webgpu:sw" (software). */
  gpuLane: string;
  software: boolean;
  cpuLane: string;
  /** "cuda" when asked for and available. */
  cudaLane?: string;
  models: string[];
  budgetSec: number;
  scenario: string;
  durationSec: number;
  notes: string[];
}

export interface PlanOptions {
  cores: number;
  cuda?: boolean;
  forceSoftware?: boolean;
  models?: string[];
  scenario?: string;
  durationSec?: number;
  budgetSec?: number;
}

/**
 * Which lanes, model and scenario the check uses, from the probes. A hardware webgpu adapter is
 * preferred; the software lane is used only when there is none (or when forced), with a tiny
 * scenario because SwiftShader takes ~100 ms per conv layer. Returns a reason when no GPU lane works.
 */
export function planGpuCheck(acc: readonly Pick<Accelerator, 'id' | 'available' | 'reason' | 'adapter'>[], o: PlanOptions): { plan?: GpuCheckPlan; reason?: string } {
  const notes: string[] = [];
  const hw = acc.find((a) => a.id === 'webgpu' && a.available && a.adapter?.software !== true);
  const sw = acc.find((a) => a.id === 'webgpu:sw' && a.available);
  const cuda = acc.find((a) => a.id === 'cuda');
  const gpu: Pick<Accelerator, 'id'> | undefined = o.forceSoftware ? sw : (hw ?? sw);
  if (!gpu) {
    const why = acc.filter((a) => a.id.startsWith('webgpu')).map((a) => `${a.id}: ${a.reason ?? 'unavailable'}`).join('; ');
    return { reason: `no GPU lane works here (${why || 'webgpu is not in this onnxruntime-node build'})` };
  }
  const software = gpu.id === 'webgpu:sw';
  if (software) notes.push(o.forceSoftware ? 'software GPU forced (--software-gpu)' : `no hardware webgpu adapter (${acc.find((a) => a.id === 'webgpu')?.reason ?? 'not probed'}): the check runs on the SOFTWARE GPU (webgpu:sw) to show it works; its figures are CPU rasterisation, not GPU figures`);
  let cudaLane: string | undefined;
  if (o.cuda) {
    if (cuda?.available) cudaLane = 'cuda';
    else notes.push(`--cuda: cuda is unavailable (${cuda?.reason ?? 'not in this build'}); run \`npm run setup:cuda\` first`);
  }
  const half = Math.max(1, Math.floor(o.cores / 2));
  return {
    plan: {
      gpuLane: gpu.id,
      software,
      cpuLane: software ? 'cpu:1' : `cpu:${half}`,
      cudaLane,
      models: o.models?.length ? o.models : ['xrbench/KD_res8_narrow'],
      budgetSec: o.budgetSec ?? (software ? 2 : 20),
      scenario: o.scenario ?? (software ? 'demo:tiny' : 'xrbench/vr_gaming'),
      durationSec: o.durationSec ?? (software ? 3 : 15),
      notes: software && !o.scenario ? [...notes, 'live run on demo:tiny (tiny builder-made models): XRBench models take seconds per frame on a software GPU'] : notes,
    },
  };
}

export interface PowerSample {
  /** Seconds since the check started. */
  t: number;
  gpu: number;
  name: string;
  watts: number;
  smMHz: number;
  utilPct: number;
}

/** One line of `nvidia-smi --query-gpu=index,name,power.draw,clocks.sm,utilization.gpu --format=csv,noheader,nounits`. */
export function parsePowerLine(line: string, t: number): PowerSample | undefined {
  const f = line.split(',').map((s) => s.trim());
  if (f.length < 5) return undefined;
  const [gpu, watts, sm, util] = [Number(f[0]), Number(f[2]), Number(f[3]), Number(f[4])];
  if (!Number.isFinite(gpu) || !Number.isFinite(watts)) return undefined;
  return { t, gpu, name: f[1], watts, smMHz: sm, utilPct: util };
}

/** Mean board power (all GPUs summed per reading time) within each phase window. */
export function powerByPhase(samples: readonly PowerSample[], phases: readonly { name: string; start: number; end: number }[]): { phase: string; meanWatts: number | null; samples: number }[] {
  return phases.map((ph) => {
    const inside = samples.filter((s) => s.t >= ph.start && s.t <= ph.end);
    const byT = new Map<number, number>();
    for (const s of inside) byT.set(s.t, (byT.get(s.t) ?? 0) + s.watts);
    const sums = [...byT.values()];
    return { phase: ph.name, meanWatts: sums.length ? sums.reduce((a, b) => a + b, 0) / sums.length : null, samples: sums.length };
  });
}

/** Polls nvidia-smi in its own loop mode (-lms), so one process serves the whole check. */
class PowerSampler {
  readonly samples: PowerSample[] = [];
  readonly raw: string[] = [];
  error: string | undefined;
  private child: ChildProcess | undefined;
  constructor(private readonly t0: number) {}

  start(): void {
    const args = ['--query-gpu=index,name,power.draw,clocks.sm,utilization.gpu', '--format=csv,noheader,nounits', '-lms', '200'];
    const child = spawn('nvidia-smi', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let partial = '';
    child.stdout.on('data', (b: Buffer) => {
      const lines = (partial + b.toString()).split('\n');
      partial = lines.pop() ?? '';
      const t = (performance.now() - this.t0) / 1000;
      for (const l of lines.filter((x) => x.trim())) {
        if (this.raw.length < 20_000) this.raw.push(l);
        const s = parsePowerLine(l, t);
        if (s) this.samples.push(s);
      }
    });
    child.on('error', (e: NodeJS.ErrnoException) => (this.error = e.code === 'ENOENT' ? 'nvidia-smi not found (no NVIDIA driver on this machine)' : e.message));
    child.on('exit', (code) => {
      if (code && !this.error) this.error = `nvidia-smi exited with code ${code}${this.raw.length ? `: ${this.raw.at(-1)}` : ''}`;
    });
  }

  stop(): void {
    this.child?.kill('SIGTERM');
  }
}

const round = (x: number, d = 3) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', default: 'gpu-check.json' },
      cuda: { type: 'boolean' },
      'software-gpu': { type: 'boolean' },
      model: { type: 'string' },
      scenario: { type: 'string' },
      duration: { type: 'string' },
      budget: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const num = (k: 'duration' | 'budget') => {
    if (values[k] === undefined) return undefined;
    const n = Number(String(values[k]).replace(/s$/, ''));
    if (!(n > 0)) throw new Error(`--${k} must be a positive number of seconds (got ${values[k]})`);
    return n;
  };
  process.env.TESSERA_HOME ??= mkdtempSync(join(tmpdir(), 'tessera-gpu-check-'));
  const t0 = performance.now();
  const now = () => (performance.now() - t0) / 1000;
  const log = (m: string) => process.stderr.write(`[gpu-check ${now().toFixed(0).padStart(4)} s] ${m}\n`);
  const phases: { name: string; start: number; end: number }[] = [];
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const start = now();
    log(`${name}...`);
    try {
      return await fn();
    } finally {
      phases.push({ name, start, end: now() });
    }
  };
  const power = new PowerSampler(t0);
  power.start();
  const { client, close } = localClient();
  const out: Record<string, unknown> = { tool: 'tessera gpu-check', startedAt: new Date().toISOString(), tesseraHome: process.env.TESSERA_HOME };
  const outFile = resolve(String(values.out));
  const save = () => writeFileSync(outFile, JSON.stringify(out, null, 2) + '\n');
  let code = 0;
  try {
    await phase('idle', () => new Promise((r) => setTimeout(r, 2000)));
    const devices = await phase('probes', () => client.call('devices.get', { softwareGpu: true, refresh: true }));
    out.devices = devices;
    const { plan, reason } = planGpuCheck(devices.accelerators, {
      cores: availableParallelism(),
      cuda: values.cuda,
      forceSoftware: values['software-gpu'],
      models: values.model?.split(',').map((s) => s.trim()).filter(Boolean),
      scenario: values.scenario,
      durationSec: num('duration'),
      budgetSec: num('budget'),
    });
    out.plan = plan ?? { reason };
    if (!plan) throw new Error(reason);
    out.software = plan.software;
    if (plan.software) out.label = 'SOFTWARE GPU (webgpu:sw): these figures show the check works; they are CPU rasterisation, never GPU performance';
    save();
    const lanes = [plan.cpuLane, plan.gpuLane, ...(plan.cudaLane ? [plan.cudaLane] : [])];
    const profiled = await phase('profile', () => client.call('profile.run', { models: plan.models, lanes, budgetSec: plan.budgetSec, save: false }));
    out.profiles = profiled.profiles.map((p) => ({
      model: p.model.name,
      status: p.status,
      layers: p.layers.length,
      verification: p.verification,
      lanes: p.lanes.map((l) => {
        const whole = p.wholeModel.find((m) => m.lane === l.id);
        const measured = p.layers.filter((x) => x.lanes.find((m) => m.lane === l.id)?.latencyMs !== undefined).length;
        return {
          ...l,
          wholeModelMs: round(whole?.latencyMs ?? NaN, 4),
          layersMeasured: measured,
          sumOfLayersMs: round(p.layers.reduce((s, x) => s + (x.lanes.find((m) => m.lane === l.id)?.latencyMs ?? 0), 0), 4),
          fallbackNodes: [...new Set(p.layers.flatMap((x) => x.lanes.find((m) => m.lane === l.id)?.fallbackNodes ?? []))],
          inGraphKernelMs: p.inGraph?.[l.id]?.totalKernelMs,
          energy: whole?.energy,
        };
      }),
      warnings: p.warnings,
    }));
    save();
    const live: Record<string, unknown> = {};
    for (const policy of ['dream', 'edf']) {
      const report = await phase(`live ${policy}`, () => client.call('live.start', { scenario: plan.scenario, policy, durationSec: plan.durationSec, lanes: `${plan.cpuLane},${plan.gpuLane}`, seed: 1, writeFiles: false }));
      live[policy] = {
        status: report.status,
        lanes: report.lanes,
        overall: { missRate: report.metrics.overall.missRate, meanLatencyMs: round(report.metrics.overall.meanLatency * 1000), p95LatencyMs: round(report.metrics.overall.p95Latency * 1000) },
        perTenant: report.comparison ?? report.metrics.perTenant,
        transfers: report.transfers,
        energy: report.energy,
        latencySource: report.latencySource,
        faults: report.faults,
        warnings: report.warnings,
      };
      out.live = { scenario: plan.scenario, durationSec: plan.durationSec, lanes: `${plan.cpuLane},${plan.gpuLane}`, ...live };
      save();
    }
  } catch (e) {
    out.error = (e as Error).message;
    code = 1;
  } finally {
    power.stop();
    close();
    out.nvidiaSmi = power.error
      ? { available: false, reason: power.error }
      : { available: true, query: 'index,name,power.draw,clocks.sm,utilization.gpu at 200 ms (power.draw: ~1 s moving average on recent GPUs)', byPhase: powerByPhase(power.samples, phases), samples: power.raw };
    out.phases = phases.map((p) => ({ ...p, start: round(p.start, 2), end: round(p.end, 2) }));
    out.finishedAt = new Date().toISOString();
    save();
  }
  log(`wrote ${outFile}${out.software ? ' (SOFTWARE GPU: not GPU figures)' : ''}${out.error ? `; failed: ${out.error}` : ''}`);
  if (values.json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  return code;
}
