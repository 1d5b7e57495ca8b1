// electron-builder's afterPack hook (package.json build.afterPack): flips Electron's fuses in the
// packaged binary with @electron/fuses, before signing and before the installer is made.
// Fuses are compiled-in switches that no environment variable or flag can turn back on.
'use strict';
const { join } = require('node:path');

/**
 * The fuse settings for a target platform, as plain booleans by FuseV1Options name.
 * - RunAsNode stays ON, deliberately: in Electron the engine runs ONNX Runtime in worker processes
 *   forked from the Electron binary with ELECTRON_RUN_AS_NODE (profiler/runtime/worker-host.ts:
 *   worker_threads with native addons are unreliable there); with the fuse off, profiling and live
 *   runs could not start. Turning it off needs those workers moved to utilityProcess first.
 * - NODE_OPTIONS and --inspect/--inspect-brk are off: nobody can inject code or attach a debugger
 *   to the shipped app through the environment or the command line.
 * - Embedded asar integrity is checked where Electron supports it (macOS, Windows); the app loads
 *   only from the asar; cookies are encrypted; file:// gets no extra privileges (the app is served
 *   from app://tessera, electron/app-protocol.ts).
 */
function fuseSettings(platform) {
  const asarIntegrity = platform === 'darwin' || platform === 'mas' || platform === 'win32';
  return {
    RunAsNode: true,
    EnableCookieEncryption: true,
    EnableNodeOptionsEnvironmentVariable: false,
    EnableNodeCliInspectArguments: false,
    EnableEmbeddedAsarIntegrityValidation: asarIntegrity,
    OnlyLoadAppFromAsar: true,
    LoadBrowserProcessSpecificV8Snapshot: false,
    GrantFileProtocolExtraPrivileges: false,
  };
}

/** The Electron executable electron-builder packed, per platform. */
function electronBinary(context) {
  const name = context.packager.appInfo.productFilename;
  switch (context.electronPlatformName) {
    case 'darwin':
    case 'mas':
      return join(context.appOutDir, `${name}.app`);
    case 'win32':
      return join(context.appOutDir, `${name}.exe`);
    default:
      return join(context.appOutDir, context.packager.executableName);
  }
}

async function afterPack(context) {
  const { flipFuses, FuseVersion, FuseV1Options } = require('@electron/fuses');
  const settings = fuseSettings(context.electronPlatformName);
  const config = { version: FuseVersion.V1, resetAdHocDarwinSignature: context.electronPlatformName === 'darwin' && context.arch === 3 /* arm64 */ };
  for (const [name, on] of Object.entries(settings)) config[FuseV1Options[name]] = on;
  await flipFuses(electronBinary(context), config);
}

module.exports = afterPack;
module.exports.default = afterPack;
module.exports.fuseSettings = fuseSettings;
module.exports.electronBinary = electronBinary;
