import { describeStep, stepObjects, type Step } from "./diff-node";
import type { FailedStepResult, StepObject } from "../../server/contract/node-apply";
import type { NodeSpec } from "../../server/contract/node-spec";

// A converge must end where the spec asked: right after it, observing the node gives no step for
// what it just did. When that fails (a config the observer reads back differently, a store the
// step cannot make ready, something outside the agent undoing its work), each later converge
// would find the same steps and reload nginx or php-fpm for nothing, disturbing every tenant of
// the node. The pure rules below keep that from looping: reloads run only for a change that was
// made, a step still wanted right after it succeeded is reported as not converging, and objects
// the control plane holds (spec.held) get no step at all. Pure, so each rule is unit tested.

/** Which reload a step makes due: nginx's, or one account's php-fpm master's; null for neither. */
export function reloadCause(step: Step): string | null {
  switch (step.kind) {
    case "writeNginxMain":
    case "installVhost":
    case "writeTlsConf":
      return "nginx";
    case "installCertificate":
      return step.files === null ? null : "nginx";
    case "writePhpFpmMain":
      return step.content === null ? null : `php-fpm:${step.username}`;
    case "installPool":
      return `php-fpm:${step.username}`;
    default:
      return null;
  }
}

/** The reload a step is, keyed like reloadCause; null for a step that is not a reload. */
export function reloadOf(step: Step): string | null {
  if (step.kind === "reloadNginx") return "nginx";
  if (step.kind === "reloadPhpFpm") return `php-fpm:${step.username}`;
  return null;
}

/** A step's identity across two diffs of the same spec: its kind and the names it acts on. */
export function stepKey(step: Step): string {
  const field = (name: string) => (name in step ? String((step as Record<string, unknown>)[name]) : "");
  return [step.kind, field("siteId"), field("username"), field("name"), field("host"), field("database")].join("|");
}

/**
 * The steps minus those concerning a held object, and minus any reload none of whose causes is
 * left: a held site's vhost is not written, so nginx is not reloaded for it either.
 */
export function withoutHeld(steps: readonly Step[], held: ReadonlySet<string>, spec: NodeSpec): Step[] {
  if (held.size === 0) return [...steps];
  const kept = steps.filter((s) => !stepObjects(s, spec).some((o) => held.has(o.id)));
  const causes = new Set(kept.map(reloadCause).filter((c) => c !== null));
  return kept.filter((s) => {
    const reload = reloadOf(s);
    return reload === null || causes.has(reload);
  });
}

/** What a step that keeps being wanted says about its object. */
function symptom(step: Step): string {
  switch (step.kind) {
    case "installVhost":
      return "its vhost does not read back as written";
    case "installPool":
      return "its php-fpm pool does not read back as written";
    case "writePhpFpmMain":
      return "its php-fpm master config does not read back as written";
    case "writeNginxMain":
      return "nginx.conf does not read back as written";
    case "applyEgressRules":
      return "the egress rules in force differ from those just loaded";
    case "ensureSiteStore":
      return `its store (document root ${step.documentRoot}) is still not in place after being made`;
    case "ensureAccount":
      return "its Unix user is still not in place after being made";
    case "ensureAccountCgroup":
      return "its limits do not read back as set";
    case "ensureAccountQuota":
      return "its disk limit does not read back as set";
    case "startPhpFpm":
      return "its php-fpm master is not running right after being started";
    case "startNginx":
      return "nginx is not running right after being started";
    case "startMariadb":
      return "mariadbd is not running right after being started";
    case "installApp":
      return "its app install left no install marker";
    default:
      return `"${describeStep(step)}" is still needed right after it succeeded`;
  }
}

/** How a result names the object a step is about: the most specific one (a site before its account). */
function label(step: Step, objects: readonly StepObject[]): string {
  const site = objects.find((o) => o.kind === "site");
  if (site) return `site ${site.id}`;
  if ("username" in step && objects.some((o) => o.kind === "account")) return `account ${step.username}`;
  if ("name" in step && objects.some((o) => o.kind === "database")) return `database ${step.name}`;
  return "the node";
}

/**
 * Whether a step concerns an object of the spec, which the control plane can hold. A step about
 * the node as a whole (nginx.conf) or about something the spec no longer has (a stray vhost being
 * removed) is left to the drift repair as before: reported as a failure, it would make the control
 * plane retry within seconds instead, and re-apply it, reloading, each time.
 */
export function concernsSpecObject(step: Step, spec: NodeSpec): boolean {
  return stepObjects(step, spec).some((o) => o.kind !== "site" || spec.sites.some((s) => s.id === o.id));
}

/**
 * Whether a step that does not converge holds its object. Not an account's own steps (its Unix
 * user, cgroup, disk limit): they reload nothing and every site of the account depends on them,
 * so holding the account would stop all its sites until an admin retries, for a step that costs
 * nothing to try again. They are left to the next reconcile, as before. (The race that first
 * showed this, several nodes of one machine making the same user at once, is closed where it
 * happened: useradd runs under a machine-wide lock, system-users.ts.)
 */
const accountSteps = new Set<Step["kind"]>(["ensureAccount", "ensureAccountCgroup", "ensureAccountQuota", "removeAccount"]);
function holdable(step: Step): boolean {
  return !accountSteps.has(step.kind);
}

/**
 * The steps that succeeded in this converge and that a diff taken right after it still asks for,
 * each as the failed result that replaces its success. A reload is never one of them: it is due
 * again only because its cause is, and the cause is what gets reported.
 */
export function nonConvergentSteps(succeeded: readonly Step[], again: readonly Step[], spec: NodeSpec): { step: Step; result: FailedStepResult }[] {
  const wanted = new Set(again.filter((s) => reloadOf(s) === null).map(stepKey));
  return succeeded
    .filter((s) => reloadOf(s) === null && holdable(s) && wanted.has(stepKey(s)) && concernsSpecObject(s, spec))
    .map((step) => {
      const objects = stepObjects(step, spec);
      const error = `${label(step, objects)}: ${symptom(step)}; it does not converge, so it is not applied again.`;
      return { step, result: { step: describeStep(step), kind: step.kind, ok: false, error, objects, nonConvergent: true } };
    });
}

/**
 * Something that undoes a write between converges (rather than at once) escapes the check right
 * after the steps: each drift repair writes the same config again and reloads. This remembers, per
 * object config, the content last written and how often that same content was written lately; a
 * write of different content starts again (a site suspended and resumed writes two contents, in
 * turn), and so does removing the config (a site that leaves the node and comes back). Only config
 * writes that make a master reload are counted: a master started again after a crash must never
 * be held. Once the limit is reached the object's count starts again, so a retry after the cause
 * is fixed gets a fresh count.
 */
export class RewriteCounter {
  private readonly seen = new Map<string, { content: string; at: number[] }>();

  constructor(
    private readonly limit = 3,
    private readonly windowMs = 10 * 60_000,
  ) {}

  /** Records a successful write; true when it is the `limit`th of the same content in the window. */
  written(scope: string, step: Step, now: number): boolean {
    if (reloadCause(step) === null || !("content" in step)) return false;
    const key = `${scope}|${stepKey(step)}`;
    if (step.content === null) {
      this.seen.delete(key);
      return false;
    }
    const last = this.seen.get(key);
    const at = last?.content === step.content ? [...last.at.filter((t) => now - t < this.windowMs), now] : [now];
    if (at.length >= this.limit) {
      this.seen.delete(key);
      return true;
    }
    this.seen.set(key, { content: step.content, at });
    return false;
  }

  /** What the result says: how often, and in how long. */
  describe(): string {
    return `${this.limit} times in ${Math.round(this.windowMs / 60_000)} minutes`;
  }
}

/** The failed result of a config that something keeps undoing between converges. */
export function rewrittenResult(step: Step, spec: NodeSpec, counter: RewriteCounter): FailedStepResult {
  const objects = stepObjects(step, spec);
  const what = step.kind === "installVhost" ? "its vhost" : step.kind === "installPool" ? "its php-fpm pool" : "its php-fpm master config";
  const error = `${label(step, objects)}: ${what} was written the same way ${counter.describe()} (something keeps changing it back); it does not converge, so it is not applied again.`;
  return { step: describeStep(step), kind: step.kind, ok: false, error, objects, nonConvergent: true };
}
