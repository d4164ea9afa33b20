/**
 * The hot programs as steps: `createToken` and the token review are written once, as generators that
 * yield what they need from the ports (an object, a signature, a verification, an id, the time) or a
 * failure. One description, two ways to run it:
 *
 * - `toEffect`: an Effect program over the port services (any adapters: etcd, external signer,
 *   `TestClock`); this is what the domain's public programs are.
 * - `runSync`: at once, with ports that answer synchronously (`SyncPorts`: the memory store, local
 *   keys). The reference server's fast path uses it so that a request costs no fiber.
 *
 * Both give the same answer for the same port answers; a port adapter that offers a synchronous form
 * (`unsafeGet`, `unsafeSign`, `unsafeVerify`, `unsafeNext`) must make it agree with its Effect form.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { IdGenerator } from "./IdGenerator.js"
import type { KeySetError, SignedToken, Verification } from "./KeySet.js"
import { KeySet } from "./KeySet.js"
import type { KubeObject, ObjectKind } from "./KubeObject.js"
import type { ObjectStoreError } from "./ObjectStore.js"
import { ObjectStore } from "./ObjectStore.js"
import type { TokenSignerError } from "./TokenSigner.js"
import { TokenSigner } from "./TokenSigner.js"

/**
 * What a program asks of its ports.
 *
 * @since 0.1.0
 * @category models
 */
export type Need =
  | { readonly _tag: "Get"; readonly kind: ObjectKind; readonly namespace: string; readonly name: string }
  | { readonly _tag: "Sign"; readonly payload: string }
  | { readonly _tag: "Verify"; readonly token: SignedToken }
  | { readonly _tag: "NextId" }
  | { readonly _tag: "Now" }

/**
 * A program's failure: the run stops with `error`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Failure<E> {
  readonly _tag: "Failure"
  readonly error: E
}

/**
 * A program: yields needs (answered with their results) and failures, returns its value.
 *
 * @since 0.1.0
 * @category models
 */
export type Steps<A, E = never> = Generator<Need | Failure<E>, A, unknown>

/**
 * Ports that answer at once.
 *
 * @since 0.1.0
 * @category models
 */
export interface SyncPorts {
  readonly get: (kind: ObjectKind, namespace: string, name: string) => Either.Either<Option.Option<KubeObject>, ObjectStoreError>
  readonly sign: (payload: string) => Either.Either<string, TokenSignerError>
  readonly verify: (token: SignedToken) => Either.Either<Verification, KeySetError>
  readonly nextId: () => string
  readonly nowMillis: () => number
}

/**
 * One step of a program, used with `yield*`: it yields at most once and returns what the runner
 * answered. (Plain objects rather than generators: a delegation to a generator costs about four
 * times as much, and each request takes a dozen steps.)
 *
 * @since 0.1.0
 * @category models
 */
export type Step<A, E = never> = Iterable<Need | Failure<E>, A, unknown>

/** Yields `value` once, then returns the answer to it. */
class Ask<A, E> implements Iterator<Need | Failure<E>, A, unknown> {
  private asked = false
  constructor(private readonly value: Need | Failure<E>) {}
  [Symbol.iterator]() {
    return this
  }
  next(answer?: unknown): IteratorResult<Need | Failure<E>, A> {
    if (this.asked) {
      if (this.value._tag === "Failure") throw new Error("Steps.fail: resumed after a failure")
      return { done: true, value: answer as A }
    }
    this.asked = true
    return { done: false, value: this.value }
  }
}

/** Returns `value` without yielding. */
class Return<A> implements Iterator<never, A, unknown> {
  constructor(private readonly value: A) {}
  [Symbol.iterator]() {
    return this
  }
  next(): IteratorResult<never, A> {
    return { done: true, value: this.value }
  }
}

/**
 * Step: an object from the store.
 *
 * @since 0.1.0
 * @category steps
 */
export const get = (
  kind: ObjectKind,
  namespace: string,
  name: string
): Step<Either.Either<Option.Option<KubeObject>, ObjectStoreError>> => new Ask({ _tag: "Get", kind, namespace, name })

/**
 * Step: a signed token for a payload.
 *
 * @since 0.1.0
 * @category steps
 */
export const sign = (payload: string): Step<Either.Either<string, TokenSignerError>> => new Ask({ _tag: "Sign", payload })

/**
 * Step: a signature verification.
 *
 * @since 0.1.0
 * @category steps
 */
export const verify = (token: SignedToken): Step<Either.Either<Verification, KeySetError>> => new Ask({ _tag: "Verify", token })

const nextIdNeed: Need = { _tag: "NextId" }
const nowNeed: Need = { _tag: "Now" }

/**
 * Step: a new id (`jti`).
 *
 * @since 0.1.0
 * @category steps
 */
export const nextId = (): Step<string> => new Ask(nextIdNeed)

/**
 * Step: the time, in epoch milliseconds.
 *
 * @since 0.1.0
 * @category steps
 */
export const nowMillis = (): Step<number> => new Ask(nowNeed)

/**
 * Step: stops the program with an error (`return yield* fail(e)`).
 *
 * @since 0.1.0
 * @category steps
 */
export const fail = <E>(error: E): Step<never, E> => new Ask<never, E>({ _tag: "Failure", error })

/**
 * Step: the value of an `Either`, or its error as the program's failure.
 *
 * @since 0.1.0
 * @category steps
 */
export const orFail = <A, E>(either: Either.Either<A, E>): Step<A, E> =>
  Either.isLeft(either) ? fail(either.left) : new Return(either.right)

/**
 * Step: runs a program and returns its value or its failure, as an `Either` (its needs pass through).
 *
 * @since 0.1.0
 * @category steps
 */
export function* either<A, E>(steps: Steps<A, E>): Steps<Either.Either<A, E>> {
  let next = steps.next()
  while (next.done !== true) {
    const step = next.value
    if (step._tag === "Failure") return Either.left(step.error)
    next = steps.next(yield step)
  }
  return Either.right(next.value)
}

const answerSync = (ports: SyncPorts, need: Need): unknown => {
  switch (need._tag) {
    case "Get":
      return ports.get(need.kind, need.namespace, need.name)
    case "Sign":
      return ports.sign(need.payload)
    case "Verify":
      return ports.verify(need.token)
    case "NextId":
      return ports.nextId()
    case "Now":
      return ports.nowMillis()
  }
}

/**
 * Runs a program at once with synchronous ports.
 *
 * @since 0.1.0
 * @category running
 */
export const runSync = <A, E>(steps: Steps<A, E>, ports: SyncPorts): Either.Either<A, E> => {
  let next = steps.next()
  while (next.done !== true) {
    const step = next.value
    if (step._tag === "Failure") return Either.left(step.error)
    next = steps.next(answerSync(ports, step))
  }
  return Either.right(next.value)
}

/**
 * The port services a program may need.
 *
 * @since 0.1.0
 * @category models
 */
export type Ports = ObjectStore | TokenSigner | KeySet | IdGenerator

const answerEffect = (need: Need, context: Context.Context<never>): Effect.Effect<unknown> => {
  switch (need._tag) {
    case "Get":
      return Effect.either(Context.unsafeGet(context, ObjectStore).get(need.kind, need.namespace, need.name))
    case "Sign":
      return Effect.either(Context.unsafeGet(context, TokenSigner).sign(need.payload))
    case "Verify":
      return Effect.either(Context.unsafeGet(context, KeySet).verify(need.token))
    case "NextId":
      return Context.unsafeGet(context, IdGenerator).next
    case "Now":
      return Clock.currentTimeMillis
  }
}

/**
 * A program as an Effect over the port services `R` it uses (the caller names them; a need whose
 * service is missing is a defect). Each run starts the program afresh.
 *
 * @since 0.1.0
 * @category running
 */
export const toEffect = <A, E, R extends Ports = never>(make: () => Steps<A, E>): Effect.Effect<A, E, R> =>
  Effect.contextWithEffect((context: Context.Context<R>) => {
    const steps = make()
    const loop = (input: unknown): Effect.Effect<A, E> => {
      const next = steps.next(input)
      if (next.done === true) return Effect.succeed(next.value)
      const step = next.value
      if (step._tag === "Failure") return Effect.fail(step.error)
      return Effect.flatMap(answerEffect(step, context as Context.Context<never>), loop)
    }
    return loop(undefined)
  })

/**
 * The synchronous forms of the port services in a context, when every one of them has one (the
 * memory stores, local keys, an id generator with `unsafeNext`); `None` otherwise.
 *
 * @since 0.1.0
 * @category constructors
 */
export const syncPorts = (
  context: Context.Context<Ports>,
  clock: Clock.Clock
): Option.Option<SyncPorts> => {
  const store = Context.unsafeGet(context, ObjectStore)
  const signer = Context.unsafeGet(context, TokenSigner)
  const keys = Context.unsafeGet(context, KeySet)
  const ids = Context.unsafeGet(context, IdGenerator)
  if (
    store.unsafeGet === undefined || signer.unsafeSign === undefined || keys.unsafeVerify === undefined ||
    ids.unsafeNext === undefined
  ) return Option.none()
  return Option.some({
    get: store.unsafeGet,
    sign: signer.unsafeSign,
    verify: keys.unsafeVerify,
    nextId: ids.unsafeNext,
    nowMillis: () => clock.unsafeCurrentTimeMillis()
  })
}
