// The devices capability: a hardware inventory (systeminformation) and the ONNX Runtime execution
// providers the installed package lists, each probed with a real tiny session.
import * as ort from 'onnxruntime-node';
import si from 'systeminformation';
import { spawnWorker } from '../base/worker-host';

export interface HardwareInventory {
  cpu: { brand: string; manufacturer: string; cores: number; physicalCores: number; speedGHz: number; arch: string };
  memory: { totalGiB: number; availableGiB: number };
  gpus: { vendor: string; model: string; vramMiB: number | null; bus: string }[];
  os: { platform: string; distro: string; release: string; kernel: string; hostname: string };
  battery: { present: boolean; percent: number | null; charging: boolean | null };
}

export interface AcceleratorStatus {
  /** Lane-style id: "cpu", "webgpu", "cuda", ... */
  id: string;
  ep: string;
  available: boolean;
  /** Why it is unavailable, in one line the user can act on. */
  reason?: string;
  /** The EP's binaries ship inside the installed onnxruntime-node package. */
  bundled: boolean;
  /** Wall time of the probe (session create + one run), ms. */
  probeMs?: number;
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

/** Probes one EP in a child process with a timeout; never throws. */
export async function probeExecutionProvider(ep: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<{ ok: boolean; ms?: number; error?: string }> {
  const worker = spawnWorker('ep-probe', 'process');
  try {
    return await new Promise((resolve) => {
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
      worker.post({ ep });
    });
  } finally {
    await worker.terminate();
  }
}

/** Turns ORT's long native error into one line a user can act on. */
export function summariseProbeError(ep: string, error: string): string {
  if (/No supported adapters|Failed to get a WebGPU adapter/i.test(error)) {
    const vulkan = /Couldn't load Vulkan: ([^\n]*)/.exec(error);
    return `${ep}: no adapter (Dawn found no GPU with a Vulkan, Metal or D3D12 driver${vulkan ? `; ${vulkan[1].trim()}` : ''})`;
  }
  if (/libcudart|libcublas|CUDA|cuda/i.test(error) && ep === 'cuda') {
    return `${ep}: CUDA EP or CUDA libraries not installed (opt in with \`npm run setup:cuda\`, see README)`;
  }
  if (/Failed to load (shared )?library|cannot open shared object/i.test(error)) {
    return `${ep}: this execution provider's library is not installed with onnxruntime-node here`;
  }
  const firstLine = error.split('\n').find((l) => l.trim()) ?? error;
  return `${ep}: ${firstLine.replace(/^.*?\] ?/, '').slice(0, 300)}`;
}

export async function listAccelerators(): Promise<AcceleratorStatus[]> {
  const backends = ort.listSupportedBackends();
  // Probe one at a time: GPU EPs initialise drivers and should not compete.
  const out: AcceleratorStatus[] = [];
  for (const b of backends) {
    const probe = await probeExecutionProvider(b.name);
    out.push({
      id: b.name,
      ep: b.name,
      bundled: b.bundled,
      available: probe.ok,
      probeMs: probe.ms !== undefined ? round(probe.ms) : undefined,
      reason: probe.ok ? undefined : summariseProbeError(b.name, probe.error ?? 'unknown error'),
    });
  }
  return out;
}

export async function deviceReport(): Promise<DeviceReport> {
  const [hardware, accelerators] = await Promise.all([hardwareInventory(), listAccelerators()]);
  return { hardware, accelerators, ortVersion: ort.env.versions.common, probedAt: new Date().toISOString() };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
