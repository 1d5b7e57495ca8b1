import type { EngineClient } from '../../engine/client';

export interface ViewContext {
  client: EngineClient;
  /** Navigate to another view, optionally with a parameter (e.g. a profile id). */
  navigate(viewId: string, param?: string): void;
}

export interface View {
  id: string;
  title: string;
  /** Renders into `root`; returns an optional cleanup run when the user leaves the view. */
  render(root: HTMLElement, ctx: ViewContext, param?: string): void | (() => void);
}
