// Which GPU adapter a webgpu lane really runs on. onnxruntime-node's webgpu EP does not expose its
// Dawn adapter (no API, nothing in ORT's verbose log), so Tessera asks the Vulkan loader instead:
// with VK_LOADER_DEBUG=driver in the lane process's environment, the loader prints
//   [Vulkan Loader] DRIVER:   Using "SwiftShader Device (Subzero)" with driver: "/usr/lib/chromium/libvk_swiftshader.so"
// when Dawn creates its device, in that very process. This module parses those lines and classifies
// the adapter (pure: no I/O). Backends other than Vulkan (Metal, D3D12) print nothing; their lanes
// say that the adapter was not identified, and why.

export interface GpuAdapter {
  /** The device name the driver reports, e.g. "NVIDIA H200" or "SwiftShader Device (Subzero)". */
  name: string;
  /** Vendor inferred from the device name and driver library, or "unknown". */
  vendor: string;
  /** Graphics API Dawn used: "vulkan". */
  backend: string;
  /** Driver library the loader loaded. */
  driver: string;
  /** A CPU rasteriser (SwiftShader, llvmpipe/lavapipe, WARP): slow, shares the CPU cores, never a GPU figure. */
  software: boolean;
  /** How this was obtained. */
  source: string;
}

export const VULKAN_LOADER_SOURCE = "Vulkan loader log (VK_LOADER_DEBUG=driver) of the lane's own process: the device Dawn created";

/** Environment that makes the Vulkan loader name the device it hands to Dawn. */
export const ADAPTER_LOG_ENV: Readonly<Record<string, string>> = { VK_LOADER_DEBUG: 'driver' };

/** True for lines of the Vulkan loader's own log (kept out of the error tail of a worker). */
export function isVulkanLoaderLine(line: string): boolean {
  return line.startsWith('[Vulkan Loader]');
}

const USING = /Using "([^"]+)" with driver: "([^"]+)"/;

/** The adapter named in Vulkan loader output (the last device created wins), or undefined. */
export function parseLoaderLog(text: string): GpuAdapter | undefined {
  let found: GpuAdapter | undefined;
  for (const line of text.split('\n')) {
    const m = USING.exec(line);
    if (m) found = classifyAdapter(m[1], m[2], 'vulkan', VULKAN_LOADER_SOURCE);
  }
  return found;
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|libvulkan_lvp|microsoft basic render|\bwarp\b/i;

const VENDORS: [RegExp, string][] = [
  [/swiftshader/i, 'Google (SwiftShader, software)'],
  [/llvmpipe|lavapipe|libvulkan_lvp|softpipe/i, 'Mesa (software)'],
  [/nvidia|geforce|quadro|tesla|rtx|libnvidia|libGLX_nvidia/i, 'NVIDIA'],
  [/\bamd\b|radeon|radv|libvulkan_radeon|amdvlk/i, 'AMD'],
  [/intel|libvulkan_intel|\banv\b/i, 'Intel'],
  [/apple/i, 'Apple'],
  [/adreno|qualcomm|turnip|freedreno/i, 'Qualcomm'],
  [/mali|\barm\b|panfrost/i, 'Arm'],
  [/microsoft basic render|\bwarp\b/i, 'Microsoft (WARP, software)'],
];

export function classifyAdapter(name: string, driver: string, backend: string, source: string): GpuAdapter {
  const both = `${name} ${driver}`;
  const vendor = VENDORS.find(([re]) => re.test(both))?.[1] ?? 'unknown';
  return { name, vendor, backend, driver, software: SOFTWARE.test(both), source };
}

/** One line for tables and logs: "SwiftShader Device (Subzero), Google (SwiftShader, software), vulkan [SOFTWARE]". */
export function describeAdapter(a: GpuAdapter): string {
  return `${a.name} (${a.vendor}, ${a.backend}, driver ${a.driver})${a.software ? ' [SOFTWARE]' : ''}`;
}

/**
 * Why a lane may not use the adapter it got, or undefined. A software adapter is never chosen by
 * default: a plain `webgpu` lane that lands on one is refused; `webgpu:sw` asks for it on purpose.
 */
export function adapterRefusal(lane: { id: string; ep: string; software?: boolean }, adapter: GpuAdapter | undefined): string | undefined {
  if (!adapter || lane.software || !adapter.software) return undefined;
  return `the only adapter found is software (${adapter.name}, driver ${adapter.driver}); a software GPU is never used by default: ask for it with the lane "${lane.ep}:sw" (tessera devices --software-gpu probes it)`;
}

/** Why no adapter was identified for a non-CPU lane that ran. */
export function adapterUnknownNote(ep: string): string {
  return ep === 'webgpu'
    ? 'adapter not identified: the webgpu EP does not report it, and no Vulkan loader log came from the lane (Metal/D3D12 backends print none)'
    : `adapter not identified: the ${ep} EP does not report it`;
}

/**
 * Collects a lane process's Vulkan loader lines (pass `stderrLine` to spawnWorker) and yields the
 * adapter they name. The line is written while the session is created, but stderr and the worker's
 * reply travel on different pipes, so `wait` gives it a moment to arrive.
 */
export class AdapterLog {
  private text = '';
  private found: GpuAdapter | undefined;
  private waiters: (() => void)[] = [];
  /** Called once the adapter is known. */
  onAdapter: (a: GpuAdapter) => void = () => {};

  readonly stderrLine = (line: string): boolean => {
    if (!isVulkanLoaderLine(line)) return false;
    this.text = (this.text + line + '\n').slice(-20_000);
    if (USING.test(line)) {
      this.found = parseLoaderLog(line);
      for (const w of this.waiters.splice(0)) w();
      if (this.found) this.onAdapter(this.found);
    }
    return true;
  };

  get adapter(): GpuAdapter | undefined {
    return this.found;
  }

  async wait(ms = 1000): Promise<GpuAdapter | undefined> {
    if (this.found) return this.found;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => (clearTimeout(timer), resolve()));
    });
    return this.found;
  }
}
