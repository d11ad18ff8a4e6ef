import type { RenderContext } from './context.js';

/**
 * One row of a piece's file table: a template (or a folder of templates) and where it lands.
 * `when` decides from the context alone; no other code picks files.
 */
export type FileRule =
  | {
      /** Template path under `templates/`, ending in `.ejs` (a function when it depends on e.g. the stack). */
      readonly template: string | ((ctx: RenderContext) => string);
      readonly to: string;
      readonly when?: (ctx: RenderContext) => boolean;
      /**
       * `lines`: the file is a set of lines (e.g. `.gitignore`); missing lines are appended to the user's
       * file, none of theirs is touched.
       */
      readonly strategy?: 'lines';
    }
  | {
      /** Every `*.ejs` under this template folder, recursively, keeping relative paths (minus `.ejs`). */
      readonly dir: string | ((ctx: RenderContext) => string);
      readonly to: string;
      readonly when?: (ctx: RenderContext) => boolean;
    };

export type FileTable = readonly FileRule[];

export const PIECES = ['docker', 'compose', 'ci', 'kustomize', 'terraform', 'docs'] as const;
export type Piece = (typeof PIECES)[number];
