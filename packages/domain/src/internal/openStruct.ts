/**
 * The arbitrary of an open struct (known fields plus any other keys, as `ObjectMeta` and `KubeObject`
 * keep them). Effect's derived arbitrary draws the index-signature keys independently, so it can put
 * an `unknown` value under a known key (`name: 5`): not a value of the schema. This one draws the
 * known fields from their schemas and the other keys from JSON values under names that do not collide.
 *
 * @internal
 */
import * as Arbitrary from "effect/Arbitrary"
import * as Schema from "effect/Schema"

export const arbitrary = <Fields extends Schema.Struct.Fields>(fields: Fields) => {
  const known = Schema.Struct(fields)
  return (): Arbitrary.LazyArbitrary<Schema.Struct.Type<Fields> & { readonly [key: string]: unknown }> => (fc) =>
    fc.tuple(
      Arbitrary.makeLazy(known)(fc),
      fc.dictionary(fc.string().filter((key) => !(key in fields) && key !== "__proto__"), fc.jsonValue(), { maxKeys: 3 })
    ).map(([values, extra]) => ({ ...extra, ...values }) as Schema.Struct.Type<Fields> & { readonly [key: string]: unknown })
}
