/** Line-set files (`.gitignore`): add the lines we need that are missing; never touch the user's. */
export function ensureLines(existing: string | undefined, wanted: string): string {
  if (existing === undefined || existing === '') return wanted;
  const present = new Set(existing.split(/\r?\n/).map((l) => l.trim()));
  const missing = wanted.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#') && !present.has(l.trim()));
  if (missing.length === 0) return existing;
  const header = wanted.split('\n').find((l) => l.startsWith('#'));
  const sep = existing.endsWith('\n') ? '\n' : '\n\n';
  return `${existing}${sep}${header ? `${header}\n` : ''}${missing.join('\n')}\n`;
}
