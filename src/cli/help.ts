/** --help text, generated from the answers schema and the run flags: it cannot drift from what is parsed. */
import { questionOrder, questions } from '../answers/schema.js';
import { PIECES } from '../render/table.js';
import { RUN_FLAGS, type Command } from './args.js';

const PIECE_HELP: Record<(typeof PIECES)[number], string> = {
  docker: 'Dockerfile and .dockerignore',
  compose: 'docker-compose.yml for local development, .env.example (with --orchestrator compose also deploy/ for the VMs)',
  ci: 'trunk-based CI/CD pipeline',
  kustomize: 'Kubernetes base and staging/production overlays',
  terraform: 'Terraform modules and one root per environment',
  docs: 'runbook and postmortem template',
};

/** The README's flag table, generated from the same schema as --help (a test keeps the README in sync). */
export function flagsMarkdownTable(): string {
  const rows = questionOrder.map((id) => {
    const q = questions[id];
    const values = 'choices' in q ? q.choices().map((c) => `\`${c.value}\``).join(', ') : `\`${q.metavar}\``;
    return `| \`--${q.flag}\` | ${values} | ${q.defaultHelp} | ${q.help} |`;
  });
  return ['| flag | values | default | what it sets |', '|---|---|---|---|', ...rows].join('\n');
}

export function helpText(command: Command): string {
  const lines: string[] = [];
  if (command === 'new') {
    lines.push(
      'Usage: create-infra-kit [dir] [flags]      (same as: infra-kit new [dir])',
      '       infra-kit <piece> [dir] [flags]',
      '       infra-kit answers [dir]',
      '',
      'Renders hardened, production-grade infrastructure into a service repo (default dir: .).',
      '',
      'Commands:',
      '  new          the full kit: every piece below',
      ...PIECES.map((p) => `  ${p.padEnd(12)} ${PIECE_HELP[p]}`),
      '  upgrade      re-render with the stored answers and a newer infra-kit; 3-way merges your edits',
      '  flag <name>  add a feature flag FEATURE_<NAME> everywhere it is configured (--remove: take it out)',
      '  check        audit a repo (generated or hand-written): validators + hardening rules',
      '  answers      print the stored answers as YAML (reuse them with --answers)',
    );
  } else if (command === 'upgrade') {
    lines.push(
      'Usage: infra-kit upgrade [dir] [flags]',
      '',
      'Re-renders every piece recorded in the repo with the stored answers (plus any answer flags, e.g. --port 9090)',
      'and this infra-kit version. Per file: untouched → updated; your edit and no template change → kept;',
      'both changed → 3-way merge (conflicts: markers, or --conflict rej). Deleted files stay deleted.',
    );
  } else if (command === 'flag') {
    lines.push(
      'Usage: infra-kit flag <name> [dir] [--remove] [--dry-run]',
      '',
      'Adds the feature flag FEATURE_<NAME> (on in staging and .env.example, off in production) to every file that',
      'configures the app, and records it in the stored answers; --remove takes it out again. It is an upgrade with',
      'one answer changed: the same 3-way merge keeps your edits (e.g. a flag you turned on in production).',
      'Other answers do not change with it: run `infra-kit upgrade` for those (and first, if the repo was rendered',
      'by another infra-kit version).',
      '',
      'Options:',
    );
    for (const name of ['remove', 'dry-run', 'conflict', 'json', 'quiet', 'no-color'] as const) {
      const f = RUN_FLAGS[name];
      lines.push(`      --${name}${'metavar' in f ? ` ${f.metavar}` : ''}`.padEnd(32) + f.help);
    }
    lines.push('', 'Examples:', '  npx infra-kit flag new-checkout          # add', '  npx infra-kit flag new-checkout --remove # remove after shipping');
    return lines.join('\n');
  } else if (command === 'check') {
    lines.push(
      'Usage: infra-kit check [dir] [--format text|json] [--drift]',
      '',
      'Runs the real validator for each file it knows (Dockerfile, compose, workflows, Kustomize, Terraform, shell,',
      'docs) and the rules of HARDENING.md. One line per finding: file:line, level, rule id, message, fix.',
      'Exit 1 on any MUST finding (or, with --drift, when an upgrade would change files).',
    );
    return lines.join('\n');
  } else if (command === 'answers') {
    lines.push('Usage: infra-kit answers [dir]', '', 'Prints the answers stored in .yo-rc.json as YAML, ready for --answers.');
  } else {
    lines.push(`Usage: infra-kit ${command} [dir] [flags]`, '', `Adds one piece to an existing repo: ${PIECE_HELP[command]}.`, 'Reuses answers stored in .yo-rc.json; asks only what this piece needs.');
  }
  lines.push('', 'Answers (flags > --answers file > .yo-rc.json > detected > default):');
  for (const id of questionOrder) {
    const q = questions[id];
    const values = 'choices' in q ? q.choices().map((c) => c.value).join('|') : q.metavar.replace(/[<>]/g, '');
    lines.push(`  --${q.flag} <${values}>`, `      ${q.help} (default: ${q.defaultHelp})`);
  }
  lines.push('', 'Options:');
  for (const [name, f] of Object.entries(RUN_FLAGS)) {
    const short = 'short' in f ? `-${f.short}, ` : '    ';
    const arg = 'metavar' in f ? ` ${f.metavar}` : '';
    lines.push(`  ${short}--${name}${arg}`.padEnd(28) + f.help);
  }
  lines.push(
    '',
    'Exit codes: 0 done, 1 conflicts left for you to resolve, 2 bad usage or input (nothing written), 130 cancelled.',
    '',
    'Examples:',
    command === 'new' || command === 'answers'
      ? '  npm create infra-kit@latest -- my-api --yes --database postgres'
      : command === 'upgrade'
        ? '  npx infra-kit upgrade --dry-run          # review the diff first\n  npx infra-kit upgrade --check            # in CI: fail when the repo drifted'
        : `  npx infra-kit ${command} --yes`,
    '  npx infra-kit new . --name my-api --port 8080 --health-path /health --dry-run',
    '  npx infra-kit new . --answers infra-kit.yml --yes',
  );
  return lines.join('\n');
}
