import { PieceGenerator } from '../piece-generator.js';

/** `infra-kit terraform`: adds only this piece; reuses stored answers and asks only what it needs. */
export default class extends PieceGenerator {
  protected readonly pieces = ['terraform'] as const;
}
