// Opt-in: installs onnxruntime-node's CUDA execution provider (Linux x64), which `npm install`
// skips here (its download from NuGet fails offline). Needs internet and CUDA 12 drivers.
// Usage: npm run setup:cuda   (runs ORT's own installer with --onnxruntime-node-install=cuda12)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const ortDir = dirname(require.resolve('onnxruntime-node/package.json'));
const script = join(ortDir, 'script', 'install.js');
const r = spawnSync(process.execPath, [script, `--onnxruntime-node-install=${process.env.TESSERA_CUDA ?? 'cuda12'}`], {
  cwd: ortDir,
  stdio: 'inherit',
  env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: '', npm_config_onnxruntime_node_install: '' },
});
if (r.status !== 0) {
  process.stderr.write('setup:cuda failed: the CUDA EP needs internet access to NuGet and a Linux x64 machine with CUDA 12.\n');
  process.exit(r.status ?? 1);
}
process.stderr.write('CUDA EP installed: `npx tessera devices` should now list cuda as available on a machine with an NVIDIA GPU.\n');
