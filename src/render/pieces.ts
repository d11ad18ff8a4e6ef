/** The file table and questions of every piece, by piece name. Both live beside their generators. */
import * as ci from '../../generators/ci/files.js';
import * as compose from '../../generators/compose/files.js';
import * as docker from '../../generators/docker/files.js';
import * as docs from '../../generators/docs/files.js';
import * as kustomize from '../../generators/kustomize/files.js';
import * as terraform from '../../generators/terraform/files.js';
import type { QuestionId } from '../answers/schema.js';
import { PIECES, type FileTable, type Piece } from './table.js';

interface PieceModule {
  readonly files: FileTable;
  readonly asks: readonly QuestionId[];
}

const modules: Record<Piece, PieceModule> = { docker, compose, ci, kustomize, terraform, docs };

export const fileTables: Record<Piece, FileTable> = Object.fromEntries(PIECES.map((p) => [p, modules[p].files])) as Record<Piece, FileTable>;

/** Questions needed by a set of pieces, in schema order is left to the resolver. */
export function questionsFor(pieces: readonly Piece[]): QuestionId[] {
  return [...new Set(pieces.flatMap((p) => modules[p].asks))];
}
