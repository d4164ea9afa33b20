/**
 * A value derived from an object, made once per object and kept as long as the object lives.
 *
 * @internal
 */
export const perObject = <K extends object, V>(make: (key: K) => V): (key: K) => V => {
  const made = new WeakMap<K, V>()
  return (key) => {
    let value = made.get(key)
    if (value === undefined) {
      value = make(key)
      made.set(key, value)
    }
    return value
  }
}
