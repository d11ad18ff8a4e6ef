import { PIECES } from '../../src/render/table.js';
import { PieceGenerator } from '../piece-generator.js';

/** `infra-kit upgrade` for `yo` users: re-render the recorded pieces with the stored answers and merge. */
export default class extends PieceGenerator {
  protected readonly pieces = PIECES;
  protected override readonly mode = 'upgrade' as const;
}
