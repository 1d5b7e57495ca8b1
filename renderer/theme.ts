// Light and dark themes: follows the system preference (prefers-color-scheme) until the user picks one
// with the toggle; the choice is remembered. The effective theme is <html data-theme="light|dark">,
// which styles.css keys its palette on; chart.js text and grid colours follow it.
import { Chart } from './charts';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'tessera.theme';
const CHOICES: ThemeChoice[] = ['system', 'light', 'dark'];
const listeners = new Set<(effective: 'light' | 'dark', choice: ThemeChoice) => void>();

function media(): MediaQueryList | undefined {
  return typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : undefined;
}

export function themeChoice(): ThemeChoice {
  let v: string | null = null;
  try {
    v = localStorage.getItem(KEY);
  } catch {
    // storage unavailable (sandboxed page): the system preference applies
  }
  return CHOICES.includes(v as ThemeChoice) ? (v as ThemeChoice) : 'system';
}

export function effectiveTheme(choice = themeChoice()): 'light' | 'dark' {
  return choice === 'system' ? (media()?.matches ? 'dark' : 'light') : choice;
}

function apply(): void {
  const choice = themeChoice();
  const eff = effectiveTheme(choice);
  document.documentElement.dataset.theme = eff;
  const css = getComputedStyle(document.documentElement);
  Chart.defaults.color = css.getPropertyValue('--chart-ink').trim() || '#475467';
  Chart.defaults.borderColor = css.getPropertyValue('--chart-grid').trim() || 'rgba(0,0,0,0.1)';
  for (const c of Object.values(Chart.instances)) c.update('none');
  for (const l of listeners) l(eff, choice);
}

export function setThemeChoice(choice: ThemeChoice): void {
  try {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // not remembered; still applied for this page
  }
  apply();
}

/** Cycles system → light → dark → system. */
export function cycleTheme(): ThemeChoice {
  const next = CHOICES[(CHOICES.indexOf(themeChoice()) + 1) % CHOICES.length];
  setThemeChoice(next);
  return next;
}

export function onThemeChange(fn: (effective: 'light' | 'dark', choice: ThemeChoice) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Applies the theme now and whenever the system preference changes. */
export function initTheme(): void {
  apply();
  media()?.addEventListener('change', apply);
}
