// The devices capability: a hardware inventory (systeminformation) and the ONNX Runtime execution
// providers the installed package lists, each probed with a real tiny session.
import * as ort from 'onnxruntime-node';
import si from 'systeminformation';
import { spawnWorker } from '../base/worker-host';
import { AdapterLog, adapterRefusal, adapterUnknownNote, type GpuAdapter } from './gpu/adapter';
import { laneProcessEnv } from './gpu/environment';

export interface HardwareInventory {
  cpu: { brand: string; manufacturer: string; cores: number; physicalCores: number; speedGHz: number; arch: string };
  memory: { totalGiB: number; availableGiB: number };
  gpus: { vendor: string; model: string; vramMiB: number | null; bus: string }[];
  os: { platform: string; distro: string; release: string; kernel: string; hostname: string };
  battery: { present: boolean; percent: number | null; charging: boolean | null };
}

export interface AcceleratorStatus {
  /** Lane-style id: "cpu", "webgpu", "webgpu:sw", "cuda", ... */
  id: string;
  ep: string;
  available: boolean;
  /** Why it is unavailable, in one line the user can act on. */
  reason?: string;
  /** The EP's binaries ship inside the installed onnxruntime-node package. */
  bundled: boolean;
  /** Wall time of the probe (session create + one run), ms. */
  probeMs?: number;
  /** The software GPU lane (`webgpu:sw`), probed on request only. */
  software?: boolean;
  /** GPU EPs: the adapter the probe's session ran on (profiler/gpu/adapter.ts says how it is found). */
  adapter?: GpuAdapter;
  /** GPU EPs that ran but whose adapter could not be identified: why. */
  adapterNote?: string;
}

export interface DeviceReport {
  hardware: HardwareInventory;
  accelerators: AcceleratorStatus[];
  ortVersion: string;
  probedAt: string;
}

const PROBE_TIMEOUT_MS = 30_000;

export async function hardwareInventory(): Promise<HardwareInventory> {
  const [cpu, mem, graphics, os, battery] = await Promise.all([si.cpu(), si.mem(), si.graphics(), si.osInfo(), si.battery()]);
  const GiB = 1024 ** 3;
  return {
    cpu: {
      brand: cpu.brand,
      manufacturer: cpu.manufacturer,
      cores: cpu.cores,
      physicalCores: cpu.physicalCores,
      speedGHz: cpu.speed,
      arch: os.arch,
    },
    memory: { totalGiB: round(mem.total / GiB), availableGiB: round(mem.available / GiB) },
    gpus: graphics.controllers.map((c) => ({ vendor: c.vendor, model: c.model, vramMiB: c.vram ?? null, bus: c.bus })),
    os: { platform: os.platform, distro: os.distro, release: os.release, kernel: os.kernel, hostname: os.hostname },
    battery: { present: battery.hasBattery, percent: battery.hasBattery ? battery.percent : null, charging: battery.hasBattery ? battery.isCharging : null },
  };
}

export interface ProbeResult {
  ok: boolean;
  ms?: number;
  error?: string;
  adapter?: GpuAdapter;
  adapterNote?: string;
}

/**
 * Probes one lane's EP in a child process (with the lane's own environment, see gpu/environment.ts)
 * with a timeout; never throws. A plain GPU lane that lands on a software adapter fails the probe.
 */
export async function probeExecutionProvider(lane: string | { id: string; ep: string; software?: boolean }, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  const spec = typeof lane === 'string' ? { id: lane, ep: lane } : lane;
  const env = laneProcessEnv(spec);
  if (env.error) return { ok: false, error: env.error };
  const log = new AdapterLog();
  const worker = spawnWorker('ep-probe', 'process', undefined, { env: env.env, stderrLine: log.stderrLine });
  try {
    const r = await new Promise<ProbeResult>((resolve) => {
      const timer = setTimeout(() => resolve({ ok: false, error: `probe timed out after ${timeoutMs / 1000} s` }), timeoutMs);
      worker.onMessage((m: { ok: boolean; ms?: number; error?: string }) => {
        clearTimeout(timer);
        // Native diagnostics (e.g. "Couldn't load Vulkan") explain an EP failure better than its message.
        resolve(m.ok ? m : { ...m, error: `${m.error}\n${worker.stderrTail()}` });
      });
      worker.onExit((reason) => {
        clearTimeout(timer);
        resolve({ ok: false, error: `probe crashed: ${reason ?? 'exited'}` });
      });
      worker.post({ ep: spec.ep });
    });
    if (!r.ok || spec.ep === 'cpu') return r;
    const adapter = await log.wait(1000);
    if (!adapter) return { ...r, adapterNote: adapterUnknownNote(spec.ep) };
    const refusal = adapterRefusal(spec, adapter);
    return refusal ? { ok: false, ms: r.ms, error: refusal, adapter } : { ...r, adapter };
  } finally {
    await worker.terminate();
  }
}

/** Turns ORT's long native error into one line a user can act on, prefixed with the lane's label. */
export function summariseProbeError(ep: string, error: string, label = ep): string {
  if (/No supported adapters|Failed to get a WebGPU adapter/i.test(error)) {
    const vulkan = /Couldn't load Vulkan: ([^\n]*)/.exec(error);
    return `${label}: no adapter (Dawn found no GPU with a Vulkan, Metal or D3D12 driver${vulkan ? `; ${vulkan[1].trim()}` : ''})`;
  }
  if (/libcudart|libcublas|CUDA|cuda/i.test(error) && ep === 'cuda') {
    return `${label}: CUDA EP or CUDA libraries not installed (opt in with \`npm run setup:cuda\`, see README)`;
  }
  if (/Failed to load (shared )?library|cannot open shared object/i.test(error)) {
    return `${label}: this execution provider's library is not installed with onnxruntime-node here`;
  }
  const firstLine = error.split('\n').find((l) => l.trim()) ?? error;
  return `${label}: ${firstLine.replace(/^.*?\] ?/, '').slice(0, 300)}`;
}

export interface DeviceOptions {
  /** Also probe the software GPU lane (webgpu:sw): a software Vulkan driver in the probe's own process. */
  softwareGpu?: boolean;
}

export async function listAccelerators(opts: DeviceOptions = {}): Promise<AcceleratorStatus[]> {
  const backends = ort.listSupportedBackends();
  const lanes: { id: string; ep: string; bundled: boolean; software?: boolean }[] = backends.map((b) => ({ id: b.name, ep: b.name, bundled: b.bundled }));
  if (opts.softwareGpu) {
    const webgpu = backends.find((b) => b.name === 'webgpu');
    lanes.push({ id: 'webgpu:sw', ep: 'webgpu', bundled: webgpu?.bundled ?? false, software: true });
  }
  // Probe one at a time: GPU EPs initialise drivers and should not compete.
  const out: AcceleratorStatus[] = [];
  for (const l of lanes) {
    const inBuild = backends.some((b) => b.name === l.ep);
    const probe: ProbeResult = inBuild ? await probeExecutionProvider(l) : { ok: false, error: `${l.ep} is not in this onnxruntime-node build` };
    out.push({
      id: l.id,
      ep: l.ep,
      bundled: l.bundled,
      ...(l.software ? { software: true } : {}),
      available: probe.ok,
      probeMs: probe.ms !== undefined ? round(probe.ms) : undefined,
      reason: probe.ok ? undefined : summariseProbeError(l.ep, probe.error ?? 'unknown error', l.id) + softwareDriverNote(l),
      ...(probe.adapter ? { adapter: probe.adapter } : {}),
      ...(probe.adapterNote ? { adapterNote: probe.adapterNote } : {}),
    });
  }
  return out;
}

/** For a failed software lane: which driver was tried, so a broken one can be found. */
function softwareDriverNote(l: { ep: string; software?: boolean }): string {
  const icd = l.software ? laneProcessEnv(l).env?.VK_DRIVER_FILES : undefined;
  return icd ? ` [software Vulkan driver tried: ${icd}]` : '';
}

export async function deviceReport(opts: DeviceOptions = {}): Promise<DeviceReport> {
  const [hardware, accelerators] = await Promise.all([hardwareInventory(), listAccelerators(opts)]);
  return { hardware, accelerators, ortVersion: ort.env.versions.common, probedAt: new Date().toISOString() };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
