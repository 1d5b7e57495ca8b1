import type { EngineClient } from '../../engine/client';

export interface ViewContext {
  client: EngineClient;
  /** Navigate to another view, optionally with a parameter (e.g. a profile id) and carried context (renderer/route.ts). */
  navigate(viewId: string, param?: string, query?: Record<string, string | string[] | undefined>): void;
  /** Context carried in the URL from the previous step (e.g. profiles, lanes); empty when none. */
  query?: Record<string, string>;
  /** Drops the carried context from the URL once the view has taken it into its remembered form. */
  consumeQuery?(): void;
  /** Puts another parameter in the URL (the view shows something else now) without re-rendering. */
  replaceParam?(param?: string): void;
  /** Whether the app has this view (links to views that other work adds, e.g. tune). */
  hasView?(id: string): boolean;
}

export interface View {
  id: string;
  title: string;
  /** Renders into `root`; returns an optional cleanup run when the user leaves the view. */
  render(root: HTMLElement, ctx: ViewContext, param?: string): void | (() => void);
}
