// The process environment of a GPU lane. Only the lane's own child process gets it (measurement
// worker, live lane worker, probe): the dynamic loader reads LD_LIBRARY_PATH at process start, so a
// worker thread could not change it, and Tessera's own process and the user's shell stay untouched.
// - every non-CPU lane: VK_LOADER_DEBUG=driver, so the Vulkan loader names the adapter (adapter.ts);
// - a software lane (`webgpu:sw`): a software Vulkan driver (Chromium's SwiftShader, or Mesa's
//   lavapipe) through VK_DRIVER_FILES, and its folder on LD_LIBRARY_PATH for a libvulkan.so.1.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ADAPTER_LOG_ENV } from './adapter';

/** An explicit software Vulkan ICD manifest (json) overrides the search. */
export const SOFTWARE_ICD_ENV = 'TESSERA_SOFTWARE_VULKAN_ICD';

/** Where software Vulkan drivers are installed: Chromium's SwiftShader (Debian, Fedora, Ubuntu snap), then Mesa's lavapipe. */
export const SOFTWARE_ICD_CANDIDATES = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib64/chromium-browser/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/snap/chromium/current/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json',
  '/usr/share/vulkan/icd.d/lvp_icd.aarch64.json',
];

/** Folders where Chromium ships a Vulkan loader (libvulkan.so.1). */
const LOADER_DIRS = ['/usr/lib/chromium', '/usr/lib64/chromium-browser', '/usr/lib/chromium-browser'];

export interface SoftwareVulkanDriver {
  /** The ICD manifest (json). */
  icd: string;
  /** The driver library it names, resolved. */
  library: string;
  /** A folder holding a libvulkan.so.1 to put first on LD_LIBRARY_PATH (Chromium ships one), if any. */
  loaderDir?: string;
}

/** Reads and checks one ICD manifest; returns the driver or why it cannot be used. */
export function readIcd(icd: string): SoftwareVulkanDriver | { error: string } {
  if (!existsSync(icd)) return { error: `${icd} does not exist` };
  let lib: unknown;
  try {
    lib = (JSON.parse(readFileSync(icd, 'utf8')) as { ICD?: { library_path?: unknown } }).ICD?.library_path;
  } catch (e) {
    return { error: `${icd} is not valid JSON (${(e as Error).message})` };
  }
  if (typeof lib !== 'string' || !lib) return { error: `${icd} names no ICD.library_path` };
  // A relative path with a slash is relative to the manifest; a bare name is looked up by the dynamic loader.
  const library = isAbsolute(lib) ? lib : lib.includes('/') ? resolve(dirname(icd), lib) : lib;
  if (library.includes('/') && !existsSync(library)) return { error: `${icd} names ${library}, which does not exist` };
  // The Vulkan loader: next to the manifest or the driver (Chromium ships one), else Chromium's, else the system's (Debian's libvulkan1).
  const loaderDir = [dirname(icd), dirname(library), ...LOADER_DIRS].find((d) => d.startsWith('/') && existsSync(join(d, 'libvulkan.so.1')));
  return { icd, library, loaderDir };
}

/** The software Vulkan driver to use, or a reason the user can act on. */
export function findSoftwareVulkanDriver(env: NodeJS.ProcessEnv = process.env, candidates = SOFTWARE_ICD_CANDIDATES): SoftwareVulkanDriver | { error: string } {
  const explicit = env[SOFTWARE_ICD_ENV];
  if (explicit) {
    const r = readIcd(explicit);
    return 'error' in r ? { error: `${SOFTWARE_ICD_ENV}: ${r.error}` } : r;
  }
  if (process.platform !== 'linux') return { error: `a software Vulkan driver is only set up on Linux (here: ${process.platform}); point ${SOFTWARE_ICD_ENV} at a Vulkan ICD json to try one` };
  const problems: string[] = [];
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    const r = readIcd(c);
    if (!('error' in r)) return r;
    problems.push(r.error);
  }
  return {
    error:
      `no software Vulkan driver found (looked for Chromium's SwiftShader and Mesa's lavapipe: ${candidates.join(', ')})` +
      (problems.length ? `; unusable: ${problems.join('; ')}` : '') +
      `. Install chromium (Debian: apt-get install chromium) or set ${SOFTWARE_ICD_ENV} to a Vulkan ICD json`,
  };
}

/** Environment variables for one lane's process, or why the lane cannot start. CPU lanes need none. */
export function laneProcessEnv(lane: { ep: string; software?: boolean }, env: NodeJS.ProcessEnv = process.env): { env?: Record<string, string>; error?: string } {
  if (lane.ep === 'cpu') return {};
  if (!lane.software) return { env: { ...ADAPTER_LOG_ENV } };
  if (lane.ep !== 'webgpu') return { error: `a software driver exists only for webgpu lanes (webgpu:sw)` };
  const d = findSoftwareVulkanDriver(env);
  if ('error' in d) return { error: d.error };
  const ld = [d.loaderDir, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return {
    env: {
      ...ADAPTER_LOG_ENV,
      VK_DRIVER_FILES: d.icd,
      // Loaders older than 1.3.207 read only the old name.
      VK_ICD_FILENAMES: d.icd,
      ...(ld ? { LD_LIBRARY_PATH: ld } : {}),
    },
  };
}
