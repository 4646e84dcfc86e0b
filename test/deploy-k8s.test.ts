// deploy/k8s: every overlay builds with kustomize, every object passes its Kubernetes schema, and the pod
// security, token, probe and network policies hold; each policy check is shown to fail on a broken copy.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { loadConfig, parseDuration, parseListen, SETTINGS } from "../probe-agent/src/config.ts";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "..");
const K8S = path.join(ROOT, "deploy/k8s");
const NAMESPACE = "uptime-agents";
const readYaml = (p: string) => parse(readFileSync(path.join(K8S, p), "utf8"));

type Obj = Record<string, any>;

/** `kubectl kustomize DIR` (offline), parsed; a YAML error fails. */
async function kustomize(dir: string): Promise<Obj[]> {
  let stdout: string;
  try {
    ({ stdout } = await run("kubectl", ["kustomize", dir], { maxBuffer: 16 * 1024 * 1024 }));
  } catch (e) {
    const x = e as NodeJS.ErrnoException & { stderr?: string };
    if (x.code === "ENOENT") throw new Error("kubectl is not installed: it builds the kustomizations (kubectl kustomize)");
    throw new Error(`kubectl kustomize ${path.relative(ROOT, dir)} failed: ${x.stderr ?? x.message}`);
  }
  const docs = parseAllDocuments(stdout);
  if (!Array.isArray(docs)) throw new Error("kustomize printed nothing");
  return docs.map((d) => {
    if (d.errors.length) throw new Error(`kustomize output is not valid YAML: ${d.errors[0]!.message}`);
    return d.toJS() as Obj;
  });
}

/** An overlay with extra components, built from a temporary kustomization (relative paths: kustomize refuses absolute ones). */
async function kustomizeWith(overlay: string, components: string[]): Promise<Obj[]> {
  const dir = mkdtempSync(path.join(tmpdir(), "k8s-overlay-"));
  try {
    const rel = (p: string) => path.relative(dir, path.join(K8S, p));
    writeFileSync(
      path.join(dir, "kustomization.yaml"),
      [
        "apiVersion: kustomize.config.k8s.io/v1beta1",
        "kind: Kustomization",
        "resources:",
        `  - ${rel(overlay)}`,
        "components:",
        ...components.map((c) => `  - ${rel(c)}`),
        "",
      ].join("\n"),
    );
    return await kustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- schemas ---------------------------------------------------------------------------------------

type ModelClass = (new (data: unknown) => { validate(): void }) & { apiVersion: string; kind: string };

/** apiVersion/kind → model class, from the packages' generated models (only classes with a schema attached). */
async function modelRegistry(): Promise<Map<string, ModelClass>> {
  const registry = new Map<string, ModelClass>();
  const walk = (mod: Record<string, unknown>, depth: number) => {
    for (const v of Object.values(mod)) {
      if (typeof v === "function") {
        const c = v as unknown as ModelClass;
        if (typeof c.apiVersion === "string" && typeof c.kind === "string" && Object.hasOwn(c.prototype, "validate"))
          registry.set(`${c.apiVersion}/${c.kind}`, c);
      } else if (v && typeof v === "object" && depth < 3) walk(v as Record<string, unknown>, depth + 1);
    }
  };
  // Imported by a name held in a variable, so the type checker does not load these packages' thousands of declarations.
  for (const pkg of ["kubernetes-models", "@kubernetes-models/prometheus-operator", "@kubernetes-models/external-secrets"])
    walk(await import(/* @vite-ignore */ pkg), 0);
  return registry;
}

/** API versions Kubernetes no longer serves (1.25 and earlier removals), whose schemas kubernetes-models still ships. */
const REMOVED_API_VERSIONS = new Set([
  "extensions/v1beta1",
  "apps/v1beta1",
  "apps/v1beta2",
  "policy/v1beta1",
  "batch/v1beta1",
  "networking.k8s.io/v1beta1",
  "autoscaling/v2beta1",
  "autoscaling/v2beta2",
  "discovery.k8s.io/v1beta1",
  "events.k8s.io/v1beta1",
]);

/** Every object validates against its kind's schema; a kind with no schema is an error, never skipped. */
function assertSchemas(objects: Obj[], registry: Map<string, ModelClass>) {
  for (const o of objects) {
    const key = `${o.apiVersion}/${o.kind}`;
    if (REMOVED_API_VERSIONS.has(o.apiVersion)) throw new Error(`${key} ${o.metadata?.name}: ${o.apiVersion} is no longer served`);
    const Model = registry.get(key);
    if (!Model) throw new Error(`${key} ${o.metadata?.name}: no schema for this kind`);
    try {
      new Model(o).validate();
    } catch (e) {
      throw new Error(`${key} ${o.metadata?.name}: ${(e as Error).message}`);
    }
  }
}

// ---- helpers over the rendered objects --------------------------------------------------------------

const ofKind = (objects: Obj[], kind: string) => objects.filter((o) => o.kind === kind);
function one(objects: Obj[], kind: string, name?: string): Obj {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ""}, found ${found.length}`);
  return found[0]!;
}
const statefulSet = (objects: Obj[]) => one(objects, "StatefulSet", "uptime-agent");
const podSpec = (objects: Obj[]) => statefulSet(objects).spec.template.spec as Obj;
const containersOf = (spec: Obj): Obj[] => [
  ...(spec.initContainers ?? []),
  ...(spec.containers ?? []),
  ...(spec.ephemeralContainers ?? []),
];

function agentContainer(objects: Obj[]): Obj {
  const containers = podSpec(objects).containers as Obj[];
  const agent = containers.find((c) => c.name === "agent");
  if (!agent) throw new Error("no container named agent");
  return agent;
}

/** The agent's settings: the ConfigMap its envFrom names. */
function configMapOf(objects: Obj[]): Record<string, string> {
  const refs = (agentContainer(objects).envFrom ?? []).map((e: Obj) => e.configMapRef?.name).filter(Boolean);
  if (refs.length !== 1) throw new Error(`the agent should read one ConfigMap, reads ${refs.length}`);
  return one(objects, "ConfigMap", refs[0]).data ?? {};
}

/** The port AGENT_LISTEN makes the agent serve /healthz and /metrics on. */
function listenPort(objects: Obj[]): number {
  const l = parseListen(configMapOf(objects).AGENT_LISTEN ?? "0.0.0.0:9464");
  if (typeof l === "string") throw new Error(`AGENT_LISTEN: ${l}`);
  return l.port;
}

const matches = (selector: Obj | undefined, labels: Obj) => {
  if (selector?.matchExpressions?.length) throw new Error("matchExpressions are not evaluated by this test");
  return Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
};

// ---- policies -----------------------------------------------------------------------------------------

/** Every namespaced object lives in the agents' namespace (a component's objects do not get the base's namespace). */
function assertNamespaced(objects: Obj[]) {
  for (const o of objects)
    if (o.kind !== "Namespace" && o.metadata?.namespace !== NAMESPACE)
      throw new Error(`${o.kind} ${o.metadata?.name} is in namespace ${o.metadata?.namespace ?? "(none)"}, not ${NAMESPACE}`);
}

/** Requests and limits for cpu and memory, and startup, liveness and readiness probes on GET /healthz at the agent's port. */
function assertContainersBounded(objects: Obj[]) {
  const port = listenPort(objects);
  for (const o of objects.filter((x) => x.spec?.template?.spec)) {
    for (const c of containersOf(o.spec.template.spec)) {
      for (const kind of ["requests", "limits"])
        for (const r of ["cpu", "memory"])
          if (c.resources?.[kind]?.[r] === undefined) throw new Error(`${o.kind} ${o.metadata.name}/${c.name}: no ${r} in ${kind}`);
      for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
        const get = c[probe]?.httpGet;
        if (get?.path !== "/healthz") throw new Error(`${c.name}: ${probe} is not GET /healthz`);
        const target = typeof get.port === "number" ? get.port : c.ports?.find((p: Obj) => p.name === get.port)?.containerPort;
        if (target !== port) throw new Error(`${c.name}: ${probe} probes port ${get.port}, the agent listens on ${port}`);
      }
    }
  }
}

/** What every overlay shares: non-root, read-only root, seccomp, no host namespaces, a writable /tmp, a bounded shutdown. */
function assertHardened(objects: Obj[]) {
  const spec = podSpec(objects);
  const pod = spec.securityContext ?? {};
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) throw new Error("the pod shares a host namespace");
  if (spec.automountServiceAccountToken !== false) throw new Error("the pod mounts a service account token");
  if (pod.seccompProfile?.type !== "RuntimeDefault") throw new Error("the pod's seccomp profile is not RuntimeDefault");
  for (const c of containersOf(spec)) {
    const sc = { ...pod, ...(c.securityContext ?? {}) };
    if (sc.runAsNonRoot !== true) throw new Error(`${c.name}: runAsNonRoot is not true`);
    if (!sc.runAsUser || !sc.runAsGroup) throw new Error(`${c.name}: runs as uid or gid 0`);
    if (sc.privileged) throw new Error(`${c.name}: privileged`);
    if (c.securityContext?.readOnlyRootFilesystem !== true) throw new Error(`${c.name}: the root filesystem is writable`);
    if (c.securityContext?.seccompProfile && c.securityContext.seccompProfile.type !== "RuntimeDefault")
      throw new Error(`${c.name}: overrides the seccomp profile`);
    if ((c.ports ?? []).some((p: Obj) => p.hostPort)) throw new Error(`${c.name}: uses a host port`);
    const tmp = (c.volumeMounts ?? []).find((m: Obj) => m.mountPath === "/tmp");
    if (!spec.volumes?.find((v: Obj) => v.name === tmp?.name)?.emptyDir) throw new Error(`${c.name}: /tmp is not an emptyDir`);
  }
  if ((spec.volumes ?? []).some((v: Obj) => v.hostPath)) throw new Error("the pod mounts a hostPath");
  const shutdownMs = parseDuration(configMapOf(objects).SHUTDOWN_TIMEOUT ?? "8s");
  if (shutdownMs === null) throw new Error("SHUTDOWN_TIMEOUT is not a duration");
  if (!(spec.terminationGracePeriodSeconds * 1000 > shutdownMs))
    throw new Error(`terminationGracePeriodSeconds ${spec.terminationGracePeriodSeconds} s is not longer than SHUTDOWN_TIMEOUT`);
}

/** containerd's default capability set (EKS's runtime): what a container has before it drops or adds any. */
const RUNTIME_DEFAULT_CAPS = [
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "NET_RAW",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
];
/** The capabilities Pod Security "baseline" lets a container add (NET_RAW is not one). */
const BASELINE_ADDABLE = new Set(RUNTIME_DEFAULT_CAPS.filter((c) => c !== "NET_RAW"));
/** Volume types Pod Security "restricted" allows. */
const RESTRICTED_VOLUMES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);
/** Safe sysctls that Pod Security "baseline" and "restricted" allow. */
const SAFE_SYSCTLS = new Set([
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
]);

/** The capabilities a container ends up with: the runtime's defaults, less what it drops, plus what it adds. */
function effectiveCapabilities(c: Obj): string[] {
  const caps = c.securityContext?.capabilities ?? {};
  const drop = new Set<string>(caps.drop ?? []);
  const kept = drop.has("ALL") ? [] : RUNTIME_DEFAULT_CAPS.filter((x) => !drop.has(x));
  return [...new Set([...kept, ...(caps.add ?? [])])].sort();
}

function namespaceLabels(objects: Obj[]): Obj {
  return one(objects, "Namespace", NAMESPACE).metadata.labels ?? {};
}

/** The pod's ping_group_range includes the agent's group, so ping works without a capability. */
function assertUnprivilegedIcmp(objects: Obj[]) {
  const pod = podSpec(objects).securityContext ?? {};
  const sysctls: Obj[] = pod.sysctls ?? [];
  for (const s of sysctls) if (!SAFE_SYSCTLS.has(s.name)) throw new Error(`sysctl ${s.name} is not a safe sysctl`);
  const range = sysctls.find((s) => s.name === "net.ipv4.ping_group_range")?.value;
  if (typeof range !== "string") throw new Error("no net.ipv4.ping_group_range sysctl");
  const [lo, hi] = range.trim().split(/\s+/).map(Number);
  if (!(lo! <= pod.runAsGroup && pod.runAsGroup <= hi!))
    throw new Error(`ping_group_range "${range}" leaves out the agent's group ${pod.runAsGroup}`);
}

/** Pod Security "restricted", enforced, and stricter: no capability at all. */
function assertRestricted(objects: Obj[]) {
  const labels = namespaceLabels(objects);
  if (labels["pod-security.kubernetes.io/enforce"] !== "restricted") throw new Error("the namespace does not enforce restricted");
  const spec = podSpec(objects);
  for (const v of spec.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== "name");
    if (!RESTRICTED_VOLUMES.has(type!)) throw new Error(`volume ${v.name}: type ${type} is not allowed by restricted`);
  }
  for (const c of containersOf(spec)) {
    const sc = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) throw new Error(`${c.name}: allowPrivilegeEscalation is not false`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) throw new Error(`${c.name}: does not drop ALL capabilities`);
    if ((sc.capabilities?.add ?? []).length) throw new Error(`${c.name}: adds capabilities ${sc.capabilities.add}`);
    if (effectiveCapabilities(c).length) throw new Error(`${c.name}: keeps capabilities ${effectiveCapabilities(c)}`);
  }
  assertUnprivilegedIcmp(objects);
}

/** Pod Security "baseline" enforced (restricted warned and audited), and NET_RAW the agent's only capability. */
function assertBaseline(objects: Obj[]) {
  const labels = namespaceLabels(objects);
  if (labels["pod-security.kubernetes.io/enforce"] !== "baseline") throw new Error("the namespace does not enforce baseline");
  for (const mode of ["warn", "audit"])
    if (labels[`pod-security.kubernetes.io/${mode}`] !== "restricted") throw new Error(`the namespace does not ${mode} on restricted`);
  for (const c of containersOf(podSpec(objects))) {
    const sc = c.securityContext ?? {};
    for (const cap of sc.capabilities?.add ?? [])
      if (!BASELINE_ADDABLE.has(cap)) throw new Error(`${c.name}: adds ${cap}, which baseline refuses`);
    const caps = effectiveCapabilities(c);
    if (caps.join() !== "NET_RAW") throw new Error(`${c.name}: has capabilities [${caps}], not NET_RAW alone`);
    // fping gets NET_RAW from its file capability, which no_new_privs would void.
    if (sc.allowPrivilegeEscalation !== true) throw new Error(`${c.name}: allowPrivilegeEscalation false voids fping's file capability`);
  }
  assertUnprivilegedIcmp(objects);
}

/** The agent reads its own token from a file of a Secret volume (no subPath, so rotations reach it), never from plain env. */
function assertTokenFromSecret(objects: Obj[]): { secretName: string } {
  const spec = podSpec(objects);
  const agent = agentContainer(objects);
  const env: Obj[] = agent.env ?? [];
  if (env.some((e) => e.name === "AGENT_TOKEN") || "AGENT_TOKEN" in configMapOf(objects))
    throw new Error("AGENT_TOKEN is set in plain text; the token comes from the Secret file");
  const fileVar = env.findIndex((e) => e.name === "AGENT_TOKEN_FILE");
  const file: string | undefined = env[fileVar]?.value;
  if (!file) throw new Error("no AGENT_TOKEN_FILE");
  // The file is named after the pod: each replica is an agent of its own, with its own token.
  const podName = env.findIndex((e) => e.name === "POD_NAME" && e.valueFrom?.fieldRef?.fieldPath === "metadata.name");
  if (podName < 0 || podName > fileVar || path.posix.basename(file) !== "$(POD_NAME)")
    throw new Error(`AGENT_TOKEN_FILE ${file} is not the pod's own key ($(POD_NAME), defined before it)`);
  const mount = (agent.volumeMounts ?? []).find((m: Obj) => m.mountPath === path.posix.dirname(file));
  if (!mount) throw new Error(`nothing is mounted at ${path.posix.dirname(file)}`);
  if (mount.subPath !== undefined || mount.subPathExpr !== undefined)
    throw new Error("the token is mounted with subPath: rotations would not reach it");
  if (mount.readOnly !== true) throw new Error("the token mount is writable");
  const volume = (spec.volumes ?? []).find((v: Obj) => v.name === mount.name);
  if (!volume?.secret?.secretName) throw new Error(`the token volume ${mount.name} is not a Secret`);
  if (volume.secret.items) throw new Error("the token volume lists items: a replica's key would be missing");
  // Secret files belong to root and to the pod's fsGroup: the agent reads them through the group or not at all.
  const mode = volume.secret.defaultMode ?? 0o644;
  const pod = spec.securityContext ?? {};
  if (!(mode & 0o004) && !(mode & 0o040 && pod.fsGroup !== undefined && pod.fsGroup === pod.runAsGroup))
    throw new Error(`the agent (gid ${pod.runAsGroup}) cannot read the token files (mode ${mode.toString(8)}, fsGroup ${pod.fsGroup})`);
  return { secretName: volume.secret.secretName };
}

/** The StatefulSet keeps each agent's outbox on its own volume at AGENT_DATA_DIR; Services, monitor and budget select it. */
function assertWorkload(objects: Obj[]) {
  const sts = statefulSet(objects);
  const labels = sts.spec.template.metadata.labels;
  if (!matches(sts.spec.selector, labels)) throw new Error("the StatefulSet's selector misses its pods");
  if (sts.spec.podManagementPolicy !== "Parallel") throw new Error("podManagementPolicy is not Parallel");
  const dataDir = configMapOf(objects).AGENT_DATA_DIR;
  const agent = agentContainer(objects);
  const dataMount = (agent.volumeMounts ?? []).find((m: Obj) => m.mountPath === dataDir);
  const claim = (sts.spec.volumeClaimTemplates ?? []).find((t: Obj) => t.metadata.name === dataMount?.name);
  if (!claim) throw new Error(`AGENT_DATA_DIR ${dataDir} is not a volume claim template's mount`);
  if (dataMount.subPath) throw new Error("the data volume is mounted with subPath");
  const headless = one(objects, "Service", sts.spec.serviceName);
  if (headless.spec.clusterIP !== "None") throw new Error("the StatefulSet's service is not headless");
  const port = listenPort(objects);
  if (agent.ports?.find((p: Obj) => p.name === "metrics")?.containerPort !== port)
    throw new Error("the metrics port is not AGENT_LISTEN's");
  const monitor = one(objects, "ServiceMonitor");
  const scraped = ofKind(objects, "Service").filter((s) => matches(monitor.spec.selector, s.metadata.labels ?? {}));
  if (scraped.length !== 1) throw new Error(`the ServiceMonitor selects ${scraped.length} Services, not one`);
  const svc = scraped[0]!;
  if (!matches({ matchLabels: svc.spec.selector }, labels)) throw new Error("the metrics Service misses the pods");
  for (const ep of monitor.spec.endpoints) {
    const sp = svc.spec.ports.find((p: Obj) => p.name === ep.port);
    if (!sp || (sp.targetPort !== "metrics" && sp.targetPort !== port))
      throw new Error(`ServiceMonitor port ${ep.port} is not the agent's metrics port`);
    if (ep.path !== "/metrics") throw new Error("the ServiceMonitor scrapes another path");
  }
  const pdb = one(objects, "PodDisruptionBudget");
  if (pdb.spec.maxUnavailable !== 1 || !matches(pdb.spec.selector, labels))
    throw new Error("the budget is not maxUnavailable 1 over the agents");
  const spread = sts.spec.template.spec.topologySpreadConstraints ?? [];
  if (!spread.some((t: Obj) => t.topologyKey === "kubernetes.io/hostname" && matches(t.labelSelector, labels)))
    throw new Error("agents are not spread across nodes");
}

// ---- network policies ---------------------------------------------------------------------------------

const peerKey = (p: Obj | undefined) =>
  p === undefined
    ? "anywhere"
    : p.ipBlock
      ? `cidr ${p.ipBlock.cidr}${p.ipBlock.except?.length ? ` except ${[...p.ipBlock.except].sort()}` : ""}`
      : `namespace ${JSON.stringify(p.namespaceSelector ?? null)} pods ${JSON.stringify(p.podSelector ?? null)}`;
const portKey = (p: Obj | undefined) =>
  p === undefined ? "any protocol" : `${p.protocol ?? "TCP"}/${p.port ?? "any"}${p.endPort ? `-${p.endPort}` : ""}`;

/** Rules as flat "peer → port" strings, sorted: two rule lists allow the same exactly when these are equal. */
function flatten(rules: Obj[], side: "to" | "from"): string[] {
  const out = new Set<string>();
  for (const r of rules) {
    const peers = r[side]?.length ? r[side] : [undefined];
    const ports = r.ports?.length ? r.ports : [undefined];
    for (const peer of peers) for (const port of ports) out.add(`${peerKey(peer)} → ${portKey(port)}`);
  }
  return [...out].sort();
}

/** What the NetworkPolicies let the agent pods send and receive, as flattened rules. */
function allowedFor(objects: Obj[]) {
  const labels = statefulSet(objects).spec.template.metadata.labels;
  const policies = ofKind(objects, "NetworkPolicy").filter((p) => matches(p.spec.podSelector, labels));
  const types = (p: Obj): string[] => p.spec.policyTypes ?? (p.spec.egress ? ["Ingress", "Egress"] : ["Ingress"]);
  return {
    egress: flatten(
      policies.filter((p) => types(p).includes("Egress")).flatMap((p) => p.spec.egress ?? []),
      "to",
    ),
    ingress: flatten(
      policies.filter((p) => types(p).includes("Ingress")).flatMap((p) => p.spec.ingress ?? []),
      "from",
    ),
    denyAll: policies.some(
      (p) =>
        Object.keys(p.spec.podSelector ?? {}).length === 0 && types(p).join() === "Ingress,Egress" && !p.spec.ingress && !p.spec.egress,
    ),
  };
}

/** The site's configured egress: its edge and target rules, as the operator wrote them (deploy/k8s/site). */
function configuredEgress() {
  const edge: Obj[] = readYaml("site/egress-edge.yaml").spec.egress;
  const targets: Obj[] = readYaml("site/egress-targets.yaml").spec.egress;
  return { edge, targets };
}

const DNS_RULE = {
  to: [
    {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
      podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
    },
  ],
  ports: [
    { protocol: "UDP", port: 53 },
    { protocol: "TCP", port: 53 },
  ],
};

/** Default deny both ways; egress exactly DNS, the edge on 443 and the configured targets; ingress only the metrics port from monitoring. */
function assertNetwork(objects: Obj[], configured = configuredEgress()) {
  const allowed = allowedFor(objects);
  if (!allowed.denyAll) throw new Error("no default-deny policy for both ingress and egress");
  for (const r of configured.edge)
    for (const p of r.ports ?? [undefined])
      if (portKey(p) !== "TCP/443") throw new Error(`the edge rule allows ${portKey(p)}, not TCP/443`);
  const expected = flatten([DNS_RULE, ...configured.edge, ...configured.targets], "to");
  expect(allowed.egress, "egress allowed to the agents").toEqual(expected);
  const monitoring = { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } };
  expect(allowed.ingress, "ingress allowed to the agents").toEqual(
    flatten([{ from: [monitoring], ports: [{ protocol: "TCP", port: listenPort(objects) }] }], "from"),
  );
}

// ---- External Secrets ---------------------------------------------------------------------------------

/** The ExternalSecret fills the Secret the pods mount, through a store whose service account carries an IAM role (IRSA). */
function assertExternalSecret(objects: Obj[]) {
  const { secretName } = assertTokenFromSecret(objects);
  const es = one(objects, "ExternalSecret");
  if (es.spec.target?.name !== secretName)
    throw new Error(`the ExternalSecret fills ${es.spec.target?.name}, the pods mount ${secretName}`);
  if (!es.spec.refreshInterval || parseDuration(es.spec.refreshInterval) === null) throw new Error("no refreshInterval");
  const store = one(objects, es.spec.secretStoreRef.kind ?? "SecretStore", es.spec.secretStoreRef.name);
  const aws = store.spec.provider?.aws;
  if (aws?.service !== "SecretsManager") throw new Error("the store is not AWS Secrets Manager");
  const sa = one(objects, "ServiceAccount", aws.auth?.jwt?.serviceAccountRef?.name);
  if (!/^arn:aws:iam::\d{12}:role\/.+/.test(sa.metadata.annotations?.["eks.amazonaws.com/role-arn"] ?? ""))
    throw new Error(`service account ${sa.metadata.name} has no IRSA role`);
}

// ---- the tests ----------------------------------------------------------------------------------------

const builds: Record<string, Obj[]> = {};
let registry: Map<string, ModelClass>;

beforeAll(async () => {
  const [restricted, baseline, withSecrets, base, models] = await Promise.all([
    kustomize(path.join(K8S, "overlays/restricted")),
    kustomize(path.join(K8S, "overlays/baseline")),
    kustomizeWith("overlays/restricted", ["components/external-secrets"]),
    kustomize(path.join(K8S, "base")),
    modelRegistry(),
  ]);
  Object.assign(builds, { restricted, baseline, "restricted + external-secrets": withSecrets, base });
  registry = models;
});

const OVERLAYS = ["restricted", "baseline", "restricted + external-secrets"] as const;

/** A deep copy of a build, changed by `edit`: the policy checks must reject it. */
const broken = (name: string, edit: (objects: Obj[]) => void) => {
  const copy = structuredClone(builds[name]!);
  edit(copy);
  return copy;
};

describe("deploy/k8s builds", () => {
  it("every overlay builds offline, into the objects the agent needs", () => {
    for (const name of OVERLAYS) {
      const kinds = new Set(builds[name]!.map((o) => o.kind));
      for (const k of [
        "Namespace",
        "ServiceAccount",
        "ConfigMap",
        "StatefulSet",
        "Service",
        "ServiceMonitor",
        "PodDisruptionBudget",
        "NetworkPolicy",
      ])
        expect(kinds, `${name}: ${k}`).toContain(k);
      expect(() => assertNamespaced(builds[name]!), name).not.toThrow();
    }
    expect(ofKind(builds["restricted + external-secrets"]!, "ExternalSecret")).toHaveLength(1);
    expect(() =>
      assertNamespaced(broken("restricted + external-secrets", (o) => delete one(o, "ExternalSecret").metadata.namespace)),
    ).toThrow(/not uptime-agents/);
  });

  it("every object passes its Kubernetes, Prometheus Operator or External Secrets schema", () => {
    expect(registry.size).toBeGreaterThan(100);
    for (const name of OVERLAYS) expect(() => assertSchemas(builds[name]!, registry), name).not.toThrow();
  });

  it("the schema check catches a wrong type, a missing required field and an unknown kind", () => {
    const name = "restricted + external-secrets";
    expect(() =>
      assertSchemas(
        broken(name, (o) => (agentContainer(o).ports[0].containerPort = "abc")),
        registry,
      ),
    ).toThrow(/containerPort.*integer/);
    expect(() =>
      assertSchemas(
        broken(name, (o) => delete statefulSet(o).spec.selector),
        registry,
      ),
    ).toThrow(/selector/);
    expect(() =>
      assertSchemas(
        broken(name, (o) => delete one(o, "SecretStore").spec.provider.aws.region),
        registry,
      ),
    ).toThrow(/SecretStore.*region/);
    expect(() =>
      assertSchemas(
        broken(name, (o) => (one(o, "ExternalSecret").spec.refreshInterval = 3600)),
        registry,
      ),
    ).toThrow(/ExternalSecret.*string/);
    expect(() =>
      assertSchemas(
        broken(name, (o) => (one(o, "ServiceMonitor").spec.endpoints = "metrics")),
        registry,
      ),
    ).toThrow(/ServiceMonitor/);
    expect(() =>
      assertSchemas(
        broken(name, (o) => o.push({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } })),
        registry,
      ),
    ).toThrow(/no schema for this kind/);
    expect(() =>
      assertSchemas(
        broken(name, (o) => (one(o, "PodDisruptionBudget").apiVersion = "policy/v1beta1")),
        registry,
      ),
    ).toThrow(/no longer served/);
    expect(() =>
      assertSchemas(
        broken(name, (o) => (one(o, "ExternalSecret").apiVersion = "external-secrets.io/v2")),
        registry,
      ),
    ).toThrow(/no schema/);
  });

  it("the agent's settings are a valid agent configuration, every one a setting the agent knows", () => {
    const known = new Set(SETTINGS.map((s) => s.name));
    for (const name of OVERLAYS) {
      const settings = configMapOf(builds[name]!);
      for (const k of Object.keys(settings)) expect(known.has(k), `${name}: unknown setting ${k}`).toBe(true);
      const loaded = loadConfig({ ...settings, AGENT_TOKEN: "ium_placeholder" });
      expect(loaded.ok ? [] : loaded.issues, name).toEqual([]);
    }
    expect(() => assertWorkload(builds.restricted!)).not.toThrow();
  });

  it("the image is the site's (kustomize images:)", () => {
    const site = readYaml("site/kustomization.yaml").images.find((i: Obj) => i.name === "uptime-probe-agent");
    for (const name of OVERLAYS) expect(agentContainer(builds[name]!).image).toBe(`${site.newName}:${site.newTag}`);
    expect(agentContainer(builds.base!).image).toBe("uptime-probe-agent");
  });
});

describe("workload", () => {
  it("a StatefulSet with an outbox volume per agent at AGENT_DATA_DIR, a headless Service, a scraped metrics Service, a budget and a spread", () => {
    for (const name of OVERLAYS) expect(() => assertWorkload(builds[name]!), name).not.toThrow();
    const r = "restricted";
    expect(() => assertWorkload(broken(r, (o) => (agentContainer(o).volumeMounts[0].mountPath = "/data")))).toThrow(/AGENT_DATA_DIR/);
    expect(() => assertWorkload(broken(r, (o) => (statefulSet(o).spec.podManagementPolicy = "OrderedReady")))).toThrow(/Parallel/);
    expect(() =>
      assertWorkload(broken(r, (o) => (one(o, "Service", "uptime-agent").metadata.labels["app.kubernetes.io/component"] = "metrics"))),
    ).toThrow(/selects 2 Services/);
    expect(() => assertWorkload(broken(r, (o) => (one(o, "PodDisruptionBudget").spec.maxUnavailable = 2)))).toThrow(/budget/);
    expect(() => assertWorkload(broken(r, (o) => (statefulSet(o).spec.template.spec.topologySpreadConstraints = [])))).toThrow(/spread/);
    expect(() => assertWorkload(broken(r, (o) => (one(o, "Service", "uptime-agent").spec.clusterIP = undefined)))).toThrow(/headless/);
  });

  it("every container has cpu and memory requests and limits, and startup, liveness and readiness probes on /healthz", () => {
    for (const name of OVERLAYS) expect(() => assertContainersBounded(builds[name]!), name).not.toThrow();
    const r = "restricted";
    expect(() => assertContainersBounded(broken(r, (o) => delete agentContainer(o).resources.limits.memory))).toThrow(/memory in limits/);
    expect(() => assertContainersBounded(broken(r, (o) => delete agentContainer(o).resources.requests.cpu))).toThrow(/cpu in requests/);
    expect(() => assertContainersBounded(broken(r, (o) => delete agentContainer(o).readinessProbe))).toThrow(/readinessProbe/);
    expect(() => assertContainersBounded(broken(r, (o) => (agentContainer(o).livenessProbe.httpGet.path = "/metrics")))).toThrow(
      /livenessProbe/,
    );
    expect(() => assertContainersBounded(broken(r, (o) => (agentContainer(o).startupProbe.httpGet.port = 8080)))).toThrow(
      /listens on 9464/,
    );
    expect(() =>
      assertContainersBounded(
        broken(r, (o) => (podSpec(o).initContainers = [{ name: "init", image: "x", resources: agentContainer(o).resources }])),
      ),
    ).toThrow(/init: startupProbe/);
  });

  it("non-root, read-only root, seccomp RuntimeDefault, no service account token, and a grace period longer than SHUTDOWN_TIMEOUT", () => {
    for (const name of OVERLAYS) expect(() => assertHardened(builds[name]!), name).not.toThrow();
    const r = "restricted";
    expect(() => assertHardened(broken(r, (o) => (podSpec(o).securityContext.runAsNonRoot = false)))).toThrow(/runAsNonRoot/);
    expect(() => assertHardened(broken(r, (o) => (agentContainer(o).securityContext.runAsUser = 0)))).toThrow(/uid or gid 0/);
    expect(() => assertHardened(broken(r, (o) => (agentContainer(o).securityContext.readOnlyRootFilesystem = false)))).toThrow(/writable/);
    expect(() => assertHardened(broken(r, (o) => (podSpec(o).securityContext.seccompProfile.type = "Unconfined")))).toThrow(/seccomp/);
    expect(() => assertHardened(broken(r, (o) => (podSpec(o).terminationGracePeriodSeconds = 8)))).toThrow(/SHUTDOWN_TIMEOUT/);
    expect(() => assertHardened(broken(r, (o) => (configMapOf(o).SHUTDOWN_TIMEOUT = "45s")))).toThrow(/SHUTDOWN_TIMEOUT/);
    expect(() => assertHardened(broken(r, (o) => (podSpec(o).hostNetwork = true)))).toThrow(/host namespace/);
    expect(() => assertHardened(broken(r, (o) => (podSpec(o).automountServiceAccountToken = true)))).toThrow(/service account token/);
  });
});

describe("pod security", () => {
  it("restricted: enforced on the namespace, no capability, drop ALL, no privilege escalation, ICMP through ping_group_range", () => {
    expect(() => assertRestricted(builds.restricted!)).not.toThrow();
    expect(() => assertRestricted(builds["restricted + external-secrets"]!)).not.toThrow();
    const r = "restricted";
    expect(() => assertRestricted(broken(r, (o) => (agentContainer(o).securityContext.capabilities.add = ["NET_RAW"])))).toThrow(
      /adds capabilities/,
    );
    expect(() => assertRestricted(broken(r, (o) => (agentContainer(o).securityContext.capabilities.drop = ["NET_RAW"])))).toThrow(
      /drop ALL/,
    );
    expect(() => assertRestricted(broken(r, (o) => (agentContainer(o).securityContext.allowPrivilegeEscalation = true)))).toThrow(
      /allowPrivilegeEscalation/,
    );
    expect(() => assertRestricted(broken(r, (o) => delete podSpec(o).securityContext.sysctls))).toThrow(/ping_group_range/);
    expect(() => assertRestricted(broken(r, (o) => (podSpec(o).securityContext.sysctls[0].value = "0 999")))).toThrow(
      /leaves out the agent's group/,
    );
    expect(() =>
      assertRestricted(broken(r, (o) => podSpec(o).securityContext.sysctls.push({ name: "net.core.somaxconn", value: "1024" }))),
    ).toThrow(/not a safe sysctl/);
    expect(() => assertRestricted(broken(r, (o) => (namespaceLabels(o)["pod-security.kubernetes.io/enforce"] = "baseline")))).toThrow(
      /enforce restricted/,
    );
    expect(() => assertRestricted(broken(r, (o) => podSpec(o).volumes.push({ name: "h", hostPath: { path: "/" } })))).toThrow(/hostPath/);
    // The baseline overlay is not restricted.
    expect(() => assertRestricted(builds.baseline!)).toThrow();
  });

  it("baseline: enforced on the namespace (restricted warned and audited); NET_RAW is the agent's only capability, kept rather than added", () => {
    expect(() => assertBaseline(builds.baseline!)).not.toThrow();
    const b = "baseline";
    // What baseline admission refuses: adding NET_RAW.
    expect(() =>
      assertBaseline(broken(b, (o) => (agentContainer(o).securityContext.capabilities = { drop: ["ALL"], add: ["NET_RAW"] }))),
    ).toThrow(/adds NET_RAW, which baseline refuses/);
    expect(() => assertBaseline(broken(b, (o) => agentContainer(o).securityContext.capabilities.drop.pop()))).toThrow(/not NET_RAW alone/);
    expect(() => assertBaseline(broken(b, (o) => (agentContainer(o).securityContext.capabilities.add = ["SETUID"])))).toThrow(
      /not NET_RAW alone/,
    );
    expect(() => assertBaseline(broken(b, (o) => agentContainer(o).securityContext.capabilities.drop.push("NET_RAW")))).toThrow(
      /not NET_RAW alone/,
    );
    expect(() => assertBaseline(broken(b, (o) => (agentContainer(o).securityContext.allowPrivilegeEscalation = false)))).toThrow(
      /file capability/,
    );
    expect(() => assertBaseline(broken(b, (o) => (namespaceLabels(o)["pod-security.kubernetes.io/warn"] = "baseline")))).toThrow(
      /warn on restricted/,
    );
    expect(() => assertBaseline(builds.restricted!)).toThrow(/enforce baseline/);
  });
});

describe("agent token", () => {
  it("each pod reads its own token from a file of a Secret volume, not a subPath, never from plain env", () => {
    for (const name of OVERLAYS) expect(assertTokenFromSecret(builds[name]!).secretName, name).toBe("uptime-agent-tokens");
    const r = "restricted";
    expect(() =>
      assertTokenFromSecret(broken(r, (o) => (agentContainer(o).volumeMounts.find((m: Obj) => m.name === "token").subPath = "token"))),
    ).toThrow(/subPath/);
    expect(() =>
      assertTokenFromSecret(broken(r, (o) => (podSpec(o).volumes.find((v: Obj) => v.name === "token").secret = undefined))),
    ).toThrow(/not a Secret/);
    expect(() => assertTokenFromSecret(broken(r, (o) => agentContainer(o).env.push({ name: "AGENT_TOKEN", value: "ium_x" })))).toThrow(
      /plain text/,
    );
    expect(() =>
      assertTokenFromSecret(
        broken(r, (o) => (agentContainer(o).env.find((e: Obj) => e.name === "AGENT_TOKEN_FILE").value = "/var/run/secrets/uptime/token")),
      ),
    ).toThrow(/own key/);
    expect(() => assertTokenFromSecret(broken(r, (o) => agentContainer(o).env.reverse()))).toThrow(/defined before/);
    expect(() => assertTokenFromSecret(broken(r, (o) => delete podSpec(o).securityContext.fsGroup))).toThrow(/cannot read the token/);
    expect(() =>
      assertTokenFromSecret(broken(r, (o) => (podSpec(o).volumes.find((v: Obj) => v.name === "token").secret.defaultMode = 0o400))),
    ).toThrow(/cannot read the token/);
  });

  it("with the external-secrets component, an ExternalSecret keeps that Secret filled from AWS Secrets Manager through an IRSA service account", () => {
    const name = "restricted + external-secrets";
    expect(() => assertExternalSecret(builds[name]!)).not.toThrow();
    expect(() => assertExternalSecret(broken(name, (o) => (one(o, "ExternalSecret").spec.target.name = "agent-token")))).toThrow(
      /pods mount/,
    );
    expect(() =>
      assertExternalSecret(broken(name, (o) => delete one(o, "ServiceAccount", "uptime-agent-secrets").metadata.annotations)),
    ).toThrow(/IRSA/);
    expect(() => assertExternalSecret(broken(name, (o) => (one(o, "SecretStore").metadata.name = "other")))).toThrow(
      /SecretStore aws-secrets-manager/,
    );
    expect(() => assertExternalSecret(builds.restricted!)).toThrow(/ExternalSecret/);
  });
});

describe("network policies", () => {
  it("default deny; egress exactly DNS, the configured edge on 443 and the configured targets; ingress only the metrics port from monitoring", () => {
    for (const name of OVERLAYS) expect(() => assertNetwork(builds[name]!), name).not.toThrow();
    // The base alone allows neither the edge nor any target: a site that forgot them fails closed.
    expect(() => assertNetwork(builds.base!, { edge: [], targets: [] })).not.toThrow();
  });

  it("the comparison fails for any rule too many, too few or too wide", () => {
    const r = "restricted";
    const targets = (o: Obj[]) => one(o, "NetworkPolicy", "uptime-agent-egress-targets").spec;
    const edge = (o: Obj[]) => one(o, "NetworkPolicy", "uptime-agent-egress-edge").spec;
    expect(() => assertNetwork(broken(r, (o) => targets(o).egress.push({ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }] })))).toThrow(/egress/);
    expect(() => assertNetwork(broken(r, (o) => targets(o).egress.pop()))).toThrow(/egress/);
    expect(() => assertNetwork(broken(r, (o) => delete targets(o).egress[0].ports))).toThrow(/egress/);
    expect(() => assertNetwork(broken(r, (o) => (edge(o).egress[0].ports[0].port = 8443)))).toThrow(/egress/);
    expect(() =>
      assertNetwork(broken(r, (o) => delete one(o, "NetworkPolicy", "uptime-agent-egress-dns").spec.egress[0].to[0].podSelector)),
    ).toThrow(/egress/);
    expect(() => assertNetwork(broken(r, (o) => (one(o, "NetworkPolicy", "default-deny").spec.policyTypes = ["Ingress"])))).toThrow(
      /default-deny/,
    );
    expect(() =>
      assertNetwork(broken(r, (o) => delete one(o, "NetworkPolicy", "uptime-agent-ingress-metrics").spec.ingress[0].ports)),
    ).toThrow(/ingress/);
    expect(() =>
      assertNetwork(
        broken(
          r,
          (o) => (one(o, "NetworkPolicy", "uptime-agent-ingress-metrics").spec.ingress[0].from[0].namespaceSelector.matchLabels = {}),
        ),
      ),
    ).toThrow(/ingress/);
    // Against another site's configuration, this site's build is wrong.
    const other = configuredEgress();
    other.targets = other.targets.slice(1);
    expect(() => assertNetwork(builds.restricted!, other)).toThrow(/egress/);
    other.edge = [{ to: [{ ipBlock: { cidr: "192.0.2.0/24" } }], ports: [{ protocol: "TCP", port: 80 }] }];
    expect(() => assertNetwork(builds.restricted!, other)).toThrow(/not TCP\/443/);
  });
});
