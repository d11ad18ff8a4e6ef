import { PIECES } from '../../src/render/table.js';
import { PieceGenerator } from '../piece-generator.js';

/** The full kit (`npm create infra-kit`): asks everything once and renders every piece. */
export default class extends PieceGenerator {
  protected readonly pieces = PIECES;
}
