// Finds the meters this machine can read and picks one per lane.
import type { LaneSpec } from '../types';
import { BatteryMeter } from './battery';
import type { Availability, PowerMeter } from './meter';
import { NvidiaSmiMeter } from './nvidia';
import { PowermetricsMeter } from './powermetrics';
import { RaplMeter } from './rapl';

export * from './meter';
export * from './estimate';
export { RaplMeter, RAPL_PERMISSION_HELP, POWERCAP_ROOT_ENV } from './rapl';
export { NvidiaSmiMeter, parseNvidiaSmiPower } from './nvidia';
export { PowermetricsMeter, parsePowermetrics } from './powermetrics';
export { BatteryMeter, batteryWatts } from './battery';

export interface MeterStatus {
  id: string;
  domain: PowerMeter['domain'];
  ok: boolean;
  reason?: string;
  detail?: string;
}

export interface MeterSet {
  meters: PowerMeter[];
  status: MeterStatus[];
  close(): Promise<void>;
}

/** Probes every known meter; `candidates` overrides the list (tests). */
export async function detectMeters(candidates?: PowerMeter[]): Promise<MeterSet> {
  const all: PowerMeter[] = candidates ?? [new NvidiaSmiMeter(), new RaplMeter(), new PowermetricsMeter('cpu'), new PowermetricsMeter('gpu'), new BatteryMeter()];
  const status: MeterStatus[] = [];
  const meters: PowerMeter[] = [];
  for (const m of all) {
    let a: Availability;
    try {
      a = await m.available();
    } catch (e) {
      a = { ok: false, reason: (e as Error).message };
    }
    if (a.ok) meters.push(m);
    status.push({ id: m.id, domain: m.domain, ok: a.ok, reason: a.reason, detail: a.ok ? m.describe() : undefined });
  }
  return {
    meters,
    status,
    close: async () => {
      for (const m of all) await m.close?.();
    },
  };
}

const GPU_EPS = new Set(['webgpu', 'cuda', 'tensorrt', 'dml', 'rocm', 'migraphx']);

/** The meter that covers a lane's device best: GPU lanes -> GPU meter; CPU lanes -> package meter; else system/SoC meters. */
export function meterForLane(lane: LaneSpec, meters: readonly PowerMeter[]): PowerMeter | undefined {
  const by = (d: PowerMeter['domain']) => meters.find((m) => m.domain === d);
  if (lane.ep === 'cpu') return by('cpu-package') ?? by('soc') ?? by('system');
  if (GPU_EPS.has(lane.ep)) return by('gpu') ?? by('soc') ?? by('system');
  return by('soc') ?? by('system');
}
