/**
 * The few `Reflect` metadata functions that @peculiar/x509's dependency injection (tsyringe)
 * checks for at load time. The full `reflect-metadata` package is not a dependency of kmsd;
 * this covers what tsyringe calls (defineMetadata, getMetadata, getOwnMetadata, metadata) and
 * is installed only when no polyfill is present. Import it before @peculiar/x509.
 */
type Key = string | symbol | undefined;
const store = new WeakMap<object, Map<Key, Map<unknown, unknown>>>();

function own(target: object, property: Key, create: boolean): Map<unknown, unknown> | undefined {
  let byProperty = store.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    byProperty = new Map();
    store.set(target, byProperty);
  }
  let entries = byProperty.get(property);
  if (!entries && create) {
    entries = new Map();
    byProperty.set(property, entries);
  }
  return entries;
}

interface ReflectMetadata {
  defineMetadata(key: unknown, value: unknown, target: object, property?: Key): void;
  getOwnMetadata(key: unknown, target: object, property?: Key): unknown;
  getMetadata(key: unknown, target: object, property?: Key): unknown;
  metadata(key: unknown, value: unknown): (target: object, property?: Key) => void;
}

const reflect = Reflect as unknown as Partial<ReflectMetadata>;
if (typeof reflect.getMetadata !== 'function') {
  const api: ReflectMetadata = {
    defineMetadata(key, value, target, property) {
      own(target, property, true)?.set(key, value);
    },
    getOwnMetadata(key, target, property) {
      return own(target, property, false)?.get(key);
    },
    getMetadata(key, target, property) {
      for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o) as object | null) {
        const entries = own(o, property, false);
        if (entries?.has(key)) return entries.get(key);
      }
      return undefined;
    },
    metadata(key, value) {
      return (target, property) => api.defineMetadata(key, value, target, property);
    },
  };
  Object.assign(Reflect, api);
}
