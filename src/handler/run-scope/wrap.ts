/**
 * Method wrapping that can be undone and coexists with other wrappers: the method that is there
 * now is wrapped (whoever put it there); undoing restores it only if our wrapper is still the one
 * installed, and otherwise turns our wrapper into a pass-through, so a wrapper installed on top
 * of ours (OpenInference, OpenLLMetry, a test spy) keeps working and keeps calling the original.
 */

/** Marks our wrappers (shared by every copy of this package), so nothing is wrapped twice. */
export const WRAPPED = Symbol.for("langchain-opentelemetry.run-scope.wrapped");

/** One wrapped method: enough to undo it. */
export interface Patch {
  owner: object;
  key: string;
  original: (...args: unknown[]) => unknown;
  wrapper: (...args: unknown[]) => unknown;
  /** `owner`'s own property before wrapping (`undefined`: the method was inherited). */
  ownDescriptor: PropertyDescriptor | undefined;
  /** While false, the wrapper calls the original and nothing else. */
  active: boolean;
}

export type WrapperFactory = (
  original: (...args: unknown[]) => unknown,
  patch: Patch,
) => (...args: unknown[]) => unknown;

/** Whether `fn` is one of our wrappers (of any copy of this package). */
export function isOurWrapper(fn: unknown): boolean {
  return typeof fn === "function" && (fn as unknown as Record<symbol, unknown>)[WRAPPED] === true;
}

/**
 * Replaces `owner[key]` by `factory(current)`. Returns the patch, or `undefined` when there is no
 * such method, it is already ours, or the property cannot be written (frozen, a getter).
 */
export function wrapMethod(owner: object, key: string, factory: WrapperFactory): Patch | undefined {
  const desc = findDescriptor(owner, key);
  if (desc === undefined || typeof desc.value !== "function" || isOurWrapper(desc.value))
    return undefined;
  if (Object.prototype.hasOwnProperty.call(owner, key) && !desc.writable && !desc.configurable)
    return undefined;
  if (Object.isFrozen(owner)) return undefined;
  const original = desc.value as (...args: unknown[]) => unknown;
  const patch: Patch = {
    owner,
    key,
    original,
    wrapper: original,
    ownDescriptor: Object.getOwnPropertyDescriptor(owner, key),
    active: true,
  };
  const wrapper = factory(original, patch);
  Object.defineProperty(wrapper, WRAPPED, { value: true });
  try {
    // What introspection reads (name, length) stays the original's.
    Object.defineProperty(wrapper, "name", { value: original.name, configurable: true });
    Object.defineProperty(wrapper, "length", { value: original.length, configurable: true });
  } catch {}
  patch.wrapper = wrapper;
  try {
    Object.defineProperty(owner, key, {
      value: wrapper,
      writable: true,
      enumerable: desc.enumerable ?? false,
      configurable: true,
    });
  } catch {
    return undefined;
  }
  return patch;
}

/**
 * Undoes a patch: restores the original if our wrapper is still installed, else leaves a
 * pass-through.
 */
export function unwrap(patch: Patch): void {
  patch.active = false;
  try {
    if (Object.getOwnPropertyDescriptor(patch.owner, patch.key)?.value !== patch.wrapper) return;
    if (patch.ownDescriptor !== undefined)
      Object.defineProperty(patch.owner, patch.key, patch.ownDescriptor);
    else delete (patch.owner as Record<string, unknown>)[patch.key];
  } catch {}
}

function findDescriptor(owner: object, key: string): PropertyDescriptor | undefined {
  for (let o: object | null = owner; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const d = Object.getOwnPropertyDescriptor(o, key);
    if (d !== undefined) return d;
  }
  return undefined;
}

/**
 * The prototype that defines the method `key` that `instance` uses, or `undefined` when the
 * instance has it as an own property (we wrap prototypes only: nothing per instance is kept).
 */
export function definingPrototype(instance: object, key: string): object | undefined {
  if (Object.prototype.hasOwnProperty.call(instance, key)) return undefined;
  for (
    let o = Object.getPrototypeOf(instance) as object | null;
    o !== null;
    o = Object.getPrototypeOf(o) as object | null
  )
    if (Object.prototype.hasOwnProperty.call(o, key)) return o;
  return undefined;
}
