import { PieceGenerator } from '../piece-generator.js';

/** `infra-kit kustomize`: adds only this piece; reuses stored answers and asks only what it needs. */
export default class extends PieceGenerator {
  protected readonly pieces = ['kustomize'] as const;
}
