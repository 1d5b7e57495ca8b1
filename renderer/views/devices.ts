import type { ResultOf } from '../../engine/api';
import { badge, clear, errorBox, h, table } from '../dom';
import type { View } from './view';

type DeviceReport = ResultOf<'devices.get'>;

export const devicesView: View = {
  id: 'devices',
  title: 'Devices',
  render(root, { client }) {
    const body = h('div', {}, h('p', { class: 'muted' }, 'Probing the hardware and each execution provider with a real session…'));
    const refresh = h('button', { onclick: () => load(true) }, 'Probe again');
    // The software GPU (webgpu:sw, a Vulkan driver running on the CPU) is probed only on request.
    const software = h('input', { type: 'checkbox', 'data-testid': 'software-gpu', onchange: () => load(false) });
    const softwareLabel = h('label', { title: 'Also probe webgpu:sw: a software Vulkan driver (SwiftShader) that runs on the CPU, for exercising GPU code paths' }, software, ' Software GPU (webgpu:sw)');
    root.append(h('header', { class: 'view-header' }, h('h1', {}, 'Devices'), softwareLabel, refresh), body);

    async function load(force: boolean) {
      refresh.disabled = true;
      try {
        const report = await client.call('devices.get', { ...(force ? { refresh: true } : {}), ...(software.checked ? { softwareGpu: true } : {}) });
        clear(body);
        body.append(renderReport(report));
      } catch (e) {
        clear(body);
        body.append(errorBox('Could not read the devices', (e as Error).message));
      } finally {
        refresh.disabled = false;
      }
    }
    void load(false);
  },
};

function renderReport(r: DeviceReport): HTMLElement {
  const hw = r.hardware;
  const facts: [string, string][] = [
    ['CPU', `${hw.cpu.brand} (${hw.cpu.manufacturer})`],
    ['Cores / threads', `${hw.cpu.physicalCores} / ${hw.cpu.cores} (${hw.cpu.arch}${hw.cpu.speedGHz ? `, ${hw.cpu.speedGHz} GHz` : ", clock not reported"})`],
    ['Memory', `${hw.memory.totalGiB} GiB, ${hw.memory.availableGiB} GiB available`],
    ['GPUs', hw.gpus.length ? hw.gpus.map((g) => `${g.vendor} ${g.model}${g.vramMiB ? ` (${g.vramMiB} MiB)` : ''}`).join('; ') : 'none found'],
    ['OS', `${hw.os.distro} ${hw.os.release} (${hw.os.platform}, kernel ${hw.os.kernel}) on ${hw.os.hostname}`],
    ['Battery', hw.battery.present ? `${hw.battery.percent}%${hw.battery.charging ? ', charging' : ''}` : 'none'],
    ['ONNX Runtime', r.ortVersion],
  ];
  return h('div', { class: 'stack' },
    h('section', { class: 'card' }, h('h2', {}, 'Hardware'),
      h('dl', { class: 'facts', 'data-testid': 'hardware' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))),
    h('section', { class: 'card' }, h('h2', {}, 'Accelerators (ONNX Runtime execution providers)'),
      table(r.accelerators, {
        Accelerator: (a) => h('code', {}, a.id),
        Status: (a) => (a.available ? badge('available', 'ok') : badge('unavailable', 'bad')),
        Adapter: (a) =>
          a.adapter
            ? h('span', { title: `${a.adapter.vendor}; ${a.adapter.backend}; driver ${a.adapter.driver}; from the ${a.adapter.source}` },
                a.adapter.software ? badge('SOFTWARE', 'warn', 'A CPU rasteriser: exercises GPU code paths, never a GPU performance figure') : null,
                ` ${a.adapter.name} (${a.adapter.vendor}, ${a.adapter.backend})`)
            : h('span', { class: 'muted' }, a.adapterNote ?? (a.ep === 'cpu' ? '' : '-')),
        'Bundled in package': (a) => (a.bundled ? 'yes' : 'no'),
        Probe: (a) => (a.available ? `${a.probeMs} ms (real session)` : a.reason ?? ''),
      }, { 'data-testid': 'accelerators', class: 'data' }),
      h('p', { class: 'muted' }, `Probed ${new Date(r.probedAt).toLocaleString()}: each provider ran a 64×64 MatMul+Relu session in its own process. GPU adapters are named by the Vulkan loader in that process.`)),
  );
}
