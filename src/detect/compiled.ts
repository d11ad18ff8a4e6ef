/** Detectors for the compiled stacks: Java (Maven, Gradle), Rust (Cargo) and .NET (csproj). */
import type { VariantId } from '../catalog/stacks.js';
import { at, list, str, type Json, type RepoFiles } from './read.js';
import { ev, first, withName, withStart, type Detector, type Evidenced } from './stacks.js';
import { detectedVersion } from './version.js';

// ---- Java ----
const GRADLE_FILES = ['build.gradle.kts', 'build.gradle', 'settings.gradle.kts', 'settings.gradle'];

export const detectJava: Detector = (repo) => {
  const gradle = GRADLE_FILES.filter((f) => repo.has(f));
  if (!repo.has('pom.xml') && gradle.length === 0) return undefined;
  const pom = repo.xml('pom.xml');
  const maven = repo.has('pom.xml');
  const variant: Evidenced<VariantId> = maven
    ? repo.has('mvnw') ? { value: 'mvnw', evidence: 'pom.xml + mvnw' } : { value: 'maven', evidence: 'pom.xml' }
    : repo.has('gradlew') ? { value: 'gradlew', evidence: `${gradle[0]} + gradlew` } : { value: 'gradle', evidence: gradle[0]! };
  const props = at(pom, 'project', 'properties');
  const compilerPlugin = list(at(pom, 'project', 'build', 'plugins', 'plugin')).find((p) => str(at(p, 'artifactId')) === 'maven-compiler-plugin');
  const script = gradle.filter((f) => f.startsWith('build')).map((f) => ({ file: f, text: repo.text(f) ?? '' }))[0];
  // Gradle scripts are code, not data: read the common spellings of the toolchain / compatibility level.
  const gradleVersion = script
    ? /JavaLanguageVersion\.of\(\s*(\d+)\s*\)|JavaVersion\.VERSION_(?:1_)?(\d+)|(?:source|target)Compatibility\s*=\s*['"]?(\d+)/.exec(script.text)
    : undefined;
  const sdkman = /^java=(\d+)/m.exec(repo.text('.sdkmanrc') ?? '')?.[1];
  const version = first(
    ev(str(at(props, 'maven.compiler.release')), 'pom.xml maven.compiler.release'),
    ev(str(at(compilerPlugin, 'configuration', 'release')), 'pom.xml maven-compiler-plugin release'),
    ev(str(at(props, 'java.version')), 'pom.xml java.version'),
    ev(str(at(props, 'maven.compiler.source')), 'pom.xml maven.compiler.source'),
    ev(gradleVersion?.slice(1).find(Boolean), `${script?.file} toolchain / compatibility`),
    ev(repo.text('.java-version')?.trim().split(/[.\s]/)[0] || undefined, '.java-version'),
    ev(sdkman, '.sdkmanrc'),
  );
  const buildText = `${repo.text('pom.xml') ?? ''}\n${script?.text ?? ''}`;
  const boot = /spring-boot/.test(buildText);
  const settingsFile = ['settings.gradle.kts', 'settings.gradle'].find((f) => repo.has(f));
  const rootProject = /rootProject\.name\s*=\s*['"]([^'"]+)['"]/.exec((settingsFile && repo.text(settingsFile)) ?? '')?.[1];
  const name = first(ev(str(at(pom, 'project', 'artifactId')), 'pom.xml artifactId'), ev(rootProject, `${settingsFile} rootProject.name`));
  return {
    stack: 'java',
    evidence: maven ? 'pom.xml' : gradle.join(', '),
    variant,
    ...(version ? { version: detectedVersion('java', version.value, version.evidence) } : {}),
    ...withStart(boot ? { value: 'java -jar application.jar (Spring Boot)', evidence: maven ? 'pom.xml' : script?.file ?? gradle[0]! } : undefined),
    ...withName(name),
    ...(/org\.postgresql|<artifactId>postgresql<\/artifactId>/.test(buildText) ? { postgres: maven ? 'pom.xml' : script?.file ?? gradle[0]! } : {}),
    ...springPort(repo),
  };
};

/** server.port from Spring's application.properties or application.yml. */
function springPort(repo: RepoFiles): { port?: Evidenced<number> } {
  const dir = 'src/main/resources';
  const props = /^\s*server\.port\s*[=:]\s*(\d+)\s*$/m.exec(repo.text(`${dir}/application.properties`) ?? '')?.[1];
  if (props) return { port: { value: Number(props), evidence: `${dir}/application.properties` } };
  for (const file of ['application.yml', 'application.yaml']) {
    // Only the plain two-level form `server:\n  port: 8081`; anything fancier is left to the flag.
    const m = /^server:\s*\n(?:[ \t]+.*\n)*?[ \t]+port:\s*(\d+)\s*$/m.exec(repo.text(`${dir}/${file}`) ?? '');
    if (m) return { port: { value: Number(m[1]), evidence: `${dir}/${file}` } };
  }
  return {};
}

// ---- Rust ----
const RUST_POSTGRES = ['tokio-postgres', 'postgres', 'deadpool-postgres', 'bb8-postgres'];

export const detectRust: Detector = (repo) => {
  if (!repo.has('Cargo.toml')) return undefined;
  const cargo = repo.toml('Cargo.toml');
  const toolchain = str(at(repo.toml('rust-toolchain.toml'), 'toolchain', 'channel')) ?? repo.text('rust-toolchain')?.trim().split(/\s/)[0];
  const pinned = toolchain && /^\d/.test(toolchain) ? { value: toolchain, evidence: repo.has('rust-toolchain.toml') ? 'rust-toolchain.toml' : 'rust-toolchain' } : undefined;
  // rust-version is the minimum supported Rust (MSRV): any newer toolchain builds the crate.
  const msrv = ev(str(at(cargo, 'package', 'rust-version')), 'Cargo.toml rust-version');
  const version = pinned ? detectedVersion('rust', pinned.value, pinned.evidence) : msrv ? detectedVersion('rust', `>=${msrv.value}`, msrv.evidence) : undefined;
  const bins = list(at(cargo, 'bin')).map((b) => str(at(b, 'name'))).filter((b): b is string => Boolean(b));
  const pkgName = str(at(cargo, 'package', 'name'));
  const deps = (at(cargo, 'dependencies') as Json | undefined) ?? {};
  const pgFeature = ['sqlx', 'diesel', 'sea-orm'].some((d) => list(at(deps[d], 'features')).some((f) => String(f).includes('postgres')));
  return {
    stack: 'rust',
    evidence: 'Cargo.toml',
    variant: { value: 'cargo', evidence: 'Cargo.toml' },
    ...(version ? { version } : {}),
    ...withStart(ev(bins.length > 0 ? bins.join(', ') : pkgName, bins.length > 0 ? 'Cargo.toml [[bin]]' : 'Cargo.toml package.name')),
    ...withName(ev(pkgName, 'Cargo.toml')),
    ...(RUST_POSTGRES.some((d) => d in deps) || pgFeature ? { postgres: 'Cargo.toml' } : {}),
  };
};

// ---- .NET ----
export const detectDotnet: Detector = (repo) => {
  const projects = repo.list((n) => n.endsWith('.csproj'));
  if (projects.length === 0) return undefined;
  const parsed = projects.map((file) => ({ file, xml: repo.xml(file) }));
  // A web project (Sdk="Microsoft.NET.Sdk.Web") is the one that runs; else the first.
  const main = parsed.find((p) => str(at(p.xml, 'Project', '@_Sdk'))?.endsWith('.Web')) ?? parsed[0]!;
  const groups = list(at(main.xml, 'Project', 'PropertyGroup'));
  const prop = (key: string) => groups.map((g) => str(at(g, key))).find(Boolean);
  const frameworks = (prop('TargetFramework') ?? prop('TargetFrameworks') ?? '')
    .split(';')
    .map((tf) => /^net(\d+\.\d+)$/.exec(tf.trim())?.[1])
    .filter((v): v is string => Boolean(v))
    .sort((a, b) => Number(b.split('.')[0]) - Number(a.split('.')[0]));
  const sdk = str(at(repo.json('global.json'), 'sdk', 'version'));
  const version = frameworks[0]
    ? detectedVersion('dotnet', frameworks[0], `${main.file} TargetFramework`)
    : sdk ? detectedVersion('dotnet', sdk.split('.').slice(0, 2).join('.'), 'global.json sdk.version') : undefined;
  const assembly = prop('AssemblyName') ?? main.file.replace(/\.csproj$/, '');
  const references = list(at(main.xml, 'Project', 'ItemGroup')).flatMap((g) => list(at(g, 'PackageReference')).map((r) => str(at(r, '@_Include')) ?? ''));
  return {
    stack: 'dotnet',
    evidence: main.file,
    variant: { value: 'dotnet', evidence: main.file },
    ...(version ? { version } : {}),
    ...withStart(ev(`dotnet ${assembly}.dll`, main.file)),
    ...withName(ev(assembly, main.file)),
    ...(references.some((r) => r.startsWith('Npgsql')) ? { postgres: main.file } : {}),
  };
};
