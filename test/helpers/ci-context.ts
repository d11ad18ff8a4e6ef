/**
 * The CI piece's answer matrix: every stack variant of the catalog × cloud × provider, rendered through the real
 * engine (buildContext + renderPieces). Clouds the catalog does not offer yet (contract: aws, gcp, azure) are
 * rendered by overriding `answers.cloud`, `region` and `cloud` in the context; they switch to normal answers as
 * soon as src/catalog/clouds.ts has them.
 */
import type { Answers } from '../../src/answers/schema.js';
import { ciTooling } from '../../src/catalog/ci.js';
import { clouds, stacks, type Cloud } from '../../src/catalog/index.js';
import { buildContext, type RenderContext } from '../../src/render/context.js';
import { renderPieces } from '../../src/render/render.js';
import { answersWith } from './render.js';

/** The per-cloud names table of the contract: the clouds every CI template must render for. */
export const CONTRACT_CLOUDS = { aws: 'eu-west-1', gcp: 'europe-west1', azure: 'westeurope' } as const;
export type CloudName = keyof typeof CONTRACT_CLOUDS;
export type Provider = 'github' | 'gitlab';

export interface CiCell {
  readonly stack: string;
  readonly variant: string;
  readonly cloud: CloudName;
  readonly provider: Provider;
  readonly database: 'none' | 'postgres';
  readonly name: string;
}

export const cellLabel = (c: CiCell) => `${c.provider} ${c.cloud} ${c.stack}/${c.variant}${c.database === 'postgres' ? ' +postgres' : ''}`;

/** Whether src/render/context.ts exposes `ciTooling` yet (the lead wires it; until then tests add it). */
export const contextHasCiTooling = (): boolean => 'ciTooling' in buildContext(answersWith({}), '0.0.0-test');

/**
 * Every variant of every stack × every contract cloud for one provider. Postgres rides along on each stack's
 * default variant, so each stack and cloud is also rendered with a database.
 */
export function ciCells(provider: Provider): CiCell[] {
  return Object.values(stacks).flatMap((stack) =>
    Object.keys(stack.variants).flatMap((variant) =>
      (Object.keys(CONTRACT_CLOUDS) as CloudName[]).map((cloud) => ({
        stack: stack.id,
        variant,
        cloud,
        provider,
        database: variant === stack.defaultVariant ? ('postgres' as const) : ('none' as const),
        name: variant === stack.defaultVariant ? 'shop-api' : `${stack.id}-svc`,
      })),
    ),
  );
}

export function ciContext(cell: CiCell): RenderContext {
  const inCatalog = cell.cloud in clouds;
  const overrides = {
    name: cell.name,
    stack: cell.stack,
    variant: cell.variant,
    ci: cell.provider,
    database: cell.database,
    ...(inCatalog ? { cloud: cell.cloud } : {}),
  } as Partial<Answers>;
  const answers = answersWith(overrides);
  let ctx = buildContext(answers, '0.0.0-test');
  if (!inCatalog) {
    const region = CONTRACT_CLOUDS[cell.cloud];
    const cloud = { id: cell.cloud, label: cell.cloud, defaultRegion: region } as unknown as Cloud;
    ctx = { ...ctx, answers: { ...answers, cloud: cell.cloud, region } as unknown as Answers, cloud, region };
  }
  // Until context.ts has `ciTooling` (report of issue 7), pass the catalog's the same way it will.
  return 'ciTooling' in ctx ? ctx : ({ ...ctx, ciTooling } as RenderContext);
}

export function renderCi(cell: CiCell): Map<string, string> {
  return new Map(renderPieces(['ci'], ciContext(cell)).map((f) => [f.path, f.content]));
}
