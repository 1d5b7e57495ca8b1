// The variant-use block of the Simulate view's results and the Live view's report: per tenant, the
// layer runs per variant and the accuracy spent against the allowance, then the policy's model
// switches (DREAM). DOM only: the rows come from simulate-model.ts (variantUseView, switchRows).
import { badge, h, table } from '../dom';
import { switchRows, variantUseView, type PolicyEventLike, type VariantUseLike } from './simulate-model';

/** The block, or null when the run had neither variants nor switches (nothing to say). */
export function variantUseBlock(use: readonly VariantUseLike[] | undefined, events: readonly PolicyEventLike[] | undefined, tenants: readonly string[], testId: string): HTMLElement | null {
  const v = variantUseView(use);
  const switches = switchRows(events, tenants);
  if (!v && !switches.length) return null;
  return h('div', { 'data-testid': testId },
    v?.none ? h('p', { class: 'muted', 'data-testid': `${testId}-none` }, v.none) : null,
    v?.rows.length
      ? table(v.rows, {
          Tenant: (r) => r.tenant,
          'Layer runs per variant': (r) => r.runs,
          'Approximate (share of layer runs)': (r) => r.approximate,
          'Frames with approximate variants': (r) => r.frames,
          'Accuracy spent per frame': (r) => r.spent,
          Allowance: (r) => (r.over ? h('span', {}, r.allowance, ' ', badge('over', 'bad', 'Mean spent above the allowance')) : r.allowance),
        }, { class: 'data', 'data-testid': `${testId}-table` })
      : null,
    switches.length
      ? h('div', {},
          h('h4', {}, `Model switches (${switches.length})`),
          table(switches, { 'At (run time)': (r) => r.at, Tenant: (r) => r.tenant, From: (r) => r.from, To: (r) => r.to, Why: (r) => r.why }, { class: 'data', 'data-testid': `${testId}-switches` }))
      : null);
}
