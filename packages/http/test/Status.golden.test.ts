/**
 * Golden bodies: every error of semantics §3, §7 and §14.3 (and the transport errors) as the exact
 * upstream JSON text, key order included, over real HTTP.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Config, Errors, FieldError, IdGenerator, KeySet, ObjectStore, TokenSigner } from "@tokenrequest/domain"
import * as Status from "@tokenrequest/http/Status"
import * as KeyRing from "@tokenrequest/signer-jose/KeyRing"
import * as MemoryStore from "@tokenrequest/store-memory/MemoryStore"
import { Effect, Layer } from "effect"
import { get, issuer, objects, ports, post, serve, signingKey, TestServer, uidOf } from "./fixtures.js"

const tokenPath = (name = "builder") => `/api/v1/namespaces/default/serviceaccounts/${name}/token`
const status = (fields: string) => `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",${fields}}`

const expectStatus = (
  response: { status: number; headers: Headers; text: string },
  code: number,
  body: string
) => {
  assert.strictEqual(response.text, body)
  assert.strictEqual(response.status, code)
  assert.strictEqual(response.headers.get("content-type"), "application/json")
}

describe("Status bodies", () => {
  layer(serve(ports()))((it) => {
    const cases: ReadonlyArray<readonly [string, string, string, number, string]> = [
      [
        "ServiceAccount not found",
        tokenPath("ghost"),
        "{}",
        404,
        status(
          `"message":"serviceaccounts \\"ghost\\" not found","reason":"NotFound","details":{"name":"ghost","kind":"serviceaccounts"},"code":404`
        )
      ],
      ...(["Pod", "Secret", "Node"] as const).map((kind) =>
        [
          `bound ${kind} not found`,
          tokenPath(),
          JSON.stringify({ spec: { boundObjectRef: { kind, apiVersion: "v1", name: "gone" } } }),
          404,
          status(
            `"message":"${kind.toLowerCase()}s \\"gone\\" not found","reason":"NotFound","details":{"name":"gone","kind":"${kind.toLowerCase()}s"},"code":404`
          )
        ] as const
      ),
      [
        "expiration below 10 minutes",
        tokenPath(),
        JSON.stringify({ spec: { expirationSeconds: 300 } }),
        422,
        status(
          `"message":"TokenRequest.authentication.k8s.io \\"\\" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes","reason":"Invalid","details":{"group":"authentication.k8s.io","kind":"TokenRequest","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: 300: may not specify a duration less than 10 minutes","field":"spec.expirationSeconds"}]},"code":422`
        )
      ],
      [
        "expiration above 2^32 seconds",
        tokenPath(),
        JSON.stringify({ spec: { expirationSeconds: 4294967297 } }),
        422,
        status(
          `"message":"TokenRequest.authentication.k8s.io \\"\\" is invalid: spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds","reason":"Invalid","details":{"group":"authentication.k8s.io","kind":"TokenRequest","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds","field":"spec.expirationSeconds"}]},"code":422`
        )
      ],
      [
        "body name differs from the URL name",
        tokenPath(),
        JSON.stringify({ metadata: { name: "other" } }),
        422,
        status(
          `"message":"TokenRequest.authentication.k8s.io \\"builder\\" is invalid: metadata.name: Invalid value: \\"other\\": must match the service account name if specified","reason":"Invalid","details":{"name":"builder","group":"authentication.k8s.io","kind":"TokenRequest","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: \\"other\\": must match the service account name if specified","field":"metadata.name"}]},"code":422`
        )
      ],
      [
        "body namespace differs from the URL namespace",
        tokenPath(),
        JSON.stringify({ metadata: { namespace: "kube-system" } }),
        400,
        status(
          `"message":"the namespace of the provided object does not match the namespace sent on the request","reason":"BadRequest","code":400`
        )
      ],
      [
        "pod runs as another service account",
        tokenPath(),
        JSON.stringify({ spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "other" } } }),
        400,
        status(
          `"message":"cannot bind token for serviceaccount \\"builder\\" to pod running with different serviceaccount name.","reason":"BadRequest","code":400`
        )
      ],
      [
        "unsupported bound kind",
        tokenPath(),
        JSON.stringify({ spec: { boundObjectRef: { kind: "ConfigMap", apiVersion: "v1", name: "x" } } }),
        400,
        status(`"message":"cannot bind token to object of type /v1, Kind=ConfigMap","reason":"BadRequest","code":400`)
      ],
      [
        "TokenReview without a token",
        "/apis/authentication.k8s.io/v1/tokenreviews",
        JSON.stringify({ spec: {} }),
        400,
        status(`"message":"token is required for TokenReview in authentication","reason":"BadRequest","code":400`)
      ],
      [
        "JSON syntax error",
        tokenPath(),
        "{\"spec\": }",
        400,
        status(
          `"message":"the object provided is unrecognized (must be of type TokenRequest): couldn't get version/kind; json parse error: invalid character '}' looking for beginning of value ({\\"spec\\": })","reason":"BadRequest","code":400`
        )
      ],
      [
        "empty body",
        tokenPath(),
        "",
        400,
        status(
          `"message":"the object provided is unrecognized (must be of type TokenRequest): couldn't get version/kind; json parse error: unexpected end of JSON input (<empty>)","reason":"BadRequest","code":400`
        )
      ],
      [
        "wrong API version",
        tokenPath(),
        JSON.stringify({ apiVersion: "authentication.k8s.io/v1beta1", kind: "TokenRequest" }),
        400,
        status(
          `"message":"the API version in the data (authentication.k8s.io/v1beta1) does not match the expected API version (authentication.k8s.io/v1)","reason":"BadRequest","code":400`
        )
      ],
      [
        "wrong kind",
        tokenPath(),
        JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "Pod" }),
        400,
        status(
          `"message":"Pod in version \\"v1\\" cannot be handled as a TokenRequest: no kind \\"Pod\\" is registered for version \\"authentication.k8s.io/v1\\" in scheme \\"pkg/api/legacyscheme/scheme.go:30\\"","reason":"BadRequest","code":400`
        )
      ],
      [
        "a sibling kind of the same group",
        tokenPath(),
        JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview" }),
        400,
        status(
          `"message":"TokenReview in version \\"v1\\" cannot be handled as a TokenRequest: converting (v1.TokenReview) to (authentication.TokenRequest): unknown conversion","reason":"BadRequest","code":400`
        )
      ],
      [
        "an unknown field with fieldValidation=Strict",
        tokenPath() + "?fieldValidation=Strict",
        JSON.stringify({ spec: { audience: ["x"] }, extra: 1 }),
        400,
        status(
          `"message":"TokenRequest in version \\"v1\\" cannot be handled as a TokenRequest: strict decoding error: unknown field \\"spec.audience\\", unknown field \\"extra\\"","reason":"BadRequest","code":400`
        )
      ],
      [
        "an unsupported fieldValidation",
        tokenPath() + "?fieldValidation=Loud",
        "{}",
        422,
        status(
          `"message":"CreateOptions.meta.k8s.io \\"\\" is invalid: fieldValidation: Unsupported value: \\"Loud\\": supported values: \\"Ignore\\", \\"Warn\\", \\"Strict\\"","reason":"Invalid","details":{"group":"meta.k8s.io","kind":"CreateOptions","causes":[{"reason":"FieldValueNotSupported","message":"Unsupported value: \\"Loud\\": supported values: \\"Ignore\\", \\"Warn\\", \\"Strict\\"","field":"fieldValidation"}]},"code":422`
        )
      ],
      [
        "a field of the wrong type",
        tokenPath(),
        JSON.stringify({ spec: { expirationSeconds: "long" } }),
        400,
        status(
          `"message":"TokenRequest in version \\"v1\\" cannot be handled as a TokenRequest: json: cannot unmarshal string into Go struct field TokenRequestSpec.spec.expirationSeconds of type int64","reason":"BadRequest","code":400`
        )
      ]
    ]
    for (const [name, path, body, code, expected] of cases) {
      it.effect(name, () =>
        Effect.gen(function*() {
          const { url } = yield* TestServer
          expectStatus(yield* post(url + path, body), code, expected)
        }))
    }

    it.effect("request UID differs from the ServiceAccount UID (409)", () =>
      Effect.gen(function*() {
        const { store, url } = yield* TestServer
        const uid = yield* uidOf(store, "ServiceAccount", "default", "builder")
        expectStatus(
          yield* post(url + tokenPath(), JSON.stringify({ metadata: { uid: "abc" } })),
          409,
          status(
            `"message":"Operation cannot be fulfilled on TokenRequest.authentication.k8s.io \\"builder\\": the UID in the token request (abc) does not match the UID of the service account (${uid})","reason":"Conflict","details":{"name":"builder","group":"authentication.k8s.io","kind":"TokenRequest"},"code":409`
          )
        )
      }))

    it.effect("bound object UID differs (409 on the Kind)", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        expectStatus(
          yield* post(
            url + tokenPath(),
            JSON.stringify({ spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "web", uid: "x" } } })
          ),
          409,
          status(
            `"message":"Operation cannot be fulfilled on Pod \\"web\\": the UID in the bound object reference (x) does not match the UID in record. The object might have been deleted and then recreated","reason":"Conflict","details":{"name":"web","kind":"Pod"},"code":409`
          )
        )
      }))

    it.effect("unknown path (404)", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        expectStatus(
          yield* get(url + "/api/v1/namespaces/default/configmaps"),
          404,
          status(
            `"message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404`
          )
        )
      }))

    it.effect("wrong method on a served path (405)", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        for (const [method, path] of [["GET", "/apis/authentication.k8s.io/v1/tokenreviews"], ["DELETE", tokenPath()], ["POST", "/openid/v1/jwks"]]) {
          expectStatus(
            yield* get(url + path!, { method: method! }),
            405,
            status(
              `"message":"the server does not allow this method on the requested resource","reason":"MethodNotAllowed","details":{},"code":405`
            )
          )
        }
      }))

    it.effect("no acceptable answer format (406), checked before the body", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        expectStatus(
          yield* post(url + tokenPath(), "not even json", { "content-type": "text/plain", accept: "text/html" }),
          406,
          status(
            `"message":"only the following media types are accepted: application/json, application/vnd.kubernetes.protobuf","reason":"NotAcceptable","code":406`
          )
        )
      }))

    it.effect("unsupported Content-Type (415)", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        expectStatus(
          yield* post(url + tokenPath(), "spec: {}", { "content-type": "application/yaml" }),
          415,
          status(
            `"message":"the body of the request was in an unknown format - accepted media types include: application/json, application/vnd.kubernetes.protobuf","reason":"UnsupportedMediaType","code":415`
          )
        )
      }))
  })

  layer(serve(ports(), { maxRequestBodyBytes: 64 }))((it) => {
    it.effect("body over the limit (413)", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        expectStatus(
          yield* post(url + tokenPath(), JSON.stringify({ spec: { audiences: ["x".repeat(100)] } })),
          413,
          status(`"message":"Request entity too large: limit is 64","reason":"RequestEntityTooLarge","code":413`)
        )
      }))
  })

  const dyingSigner = Layer.succeed(TokenSigner.TokenSigner, {
    sign: () => Effect.dieMessage("boom"),
    current: Effect.dieMessage("boom")
  })
  layer(
    serve(
      Layer.mergeAll(
        Layer.orDie(MemoryStore.layerWithObjects(objects)),
        Layer.orDie(KeyRing.layerFromKeys({ signingKey })),
        IdGenerator.layerRandom,
        Config.layer({ issuers: [issuer] }),
        // after the key ring, so this signer wins
        dyingSigner
      )
    )
  )((it) => {
    it.effect("a defect is a 500 Status, not a crash", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        expectStatus(
          yield* post(url + tokenPath(), "{}"),
          500,
          status(
            `"message":"Internal error occurred: boom","reason":"InternalError","details":{"causes":[{"message":"boom"}]},"code":500`
          )
        )
        // the server still answers afterwards
        assert.strictEqual((yield* get(url + "/openid/v1/jwks")).status, 200)
      }))
  })

  layer(
    serve(
      Layer.mergeAll(
        Layer.orDie(MemoryStore.layerWithObjects(objects)),
        Layer.orDie(KeyRing.layerFromKeys({ signingKey })),
        IdGenerator.layerRandom,
        Config.layer({ issuers: [issuer] }),
        TokenSigner.layerFailing(new TokenSigner.TokenSignerError({ reason: "Failed", description: "no key" }))
      )
    )
  )((it) => {
    it.effect("a signing failure (500 InternalError)", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        expectStatus(
          yield* post(url + tokenPath(), "{}"),
          500,
          status(
            `"message":"Internal error occurred: failed to generate token: no key","reason":"InternalError","details":{"causes":[{"message":"failed to generate token: no key"}]},"code":500`
          )
        )
      }))
  })
})

describe("Status.fromError: the mapping table", () => {
  const cases: ReadonlyArray<readonly [Status.MappedError, string]> = [
    [
      new Errors.AlreadyExists({ group: "", resource: "pods", name: "web" }),
      status(`"message":"pods \\"web\\" already exists","reason":"AlreadyExists","details":{"name":"web","kind":"pods"},"code":409`)
    ],
    [
      new Errors.Forbidden({
        group: "",
        resource: "serviceaccounts",
        name: "builder",
        reason: "User \"bob\" cannot create resource \"serviceaccounts/token\" in API group \"\" in the namespace \"default\""
      }),
      status(
        `"message":"serviceaccounts \\"builder\\" is forbidden: User \\"bob\\" cannot create resource \\"serviceaccounts/token\\" in API group \\"\\" in the namespace \\"default\\"","reason":"Forbidden","details":{"name":"builder","kind":"serviceaccounts"},"code":403`
      )
    ],
    [
      new Errors.Forbidden({
        group: "authentication.k8s.io",
        resource: "tokenreviews",
        name: "",
        reason: "User \"bob\" cannot create resource \"tokenreviews\" in API group \"authentication.k8s.io\" at the cluster scope"
      }),
      status(
        `"message":"tokenreviews.authentication.k8s.io is forbidden: User \\"bob\\" cannot create resource \\"tokenreviews\\" in API group \\"authentication.k8s.io\\" at the cluster scope","reason":"Forbidden","details":{"group":"authentication.k8s.io","kind":"tokenreviews"},"code":403`
      )
    ],
    [new Errors.Unauthorized({ reason: "Unauthorized" }), status(`"message":"Unauthorized","reason":"Unauthorized","code":401`)],
    [
      new Errors.InternalError({ error: "error validating audiences" }),
      status(
        `"message":"Internal error occurred: error validating audiences","reason":"InternalError","details":{"causes":[{"message":"error validating audiences"}]},"code":500`
      )
    ],
    [
      new Errors.UnknownReason({ error: "internal error, token can only be bound to one object type" }),
      status(`"message":"internal error, token can only be bound to one object type","code":500`)
    ],
    [
      new Errors.ServiceUnavailable({ reason: "etcd is unreachable" }),
      status(`"message":"etcd is unreachable","reason":"ServiceUnavailable","code":503`)
    ],
    [
      new ObjectStore.ObjectStoreError({ reason: "Unavailable", description: "etcd is unreachable" }),
      status(`"message":"etcd is unreachable","reason":"ServiceUnavailable","code":503`)
    ],
    [
      new KeySet.KeySetError({ reason: "Failed", description: "no keys loaded" }),
      status(
        `"message":"Internal error occurred: no keys loaded","reason":"InternalError","details":{"causes":[{"message":"no keys loaded"}]},"code":500`
      )
    ],
    [
      new Errors.Invalid({
        group: "authentication.k8s.io",
        kind: "TokenRequest",
        name: "",
        causes: [
          new FieldError.FieldError({ type: "FieldValueInvalid", field: "spec.expirationSeconds", value: 1, detail: "a" }),
          new FieldError.FieldError({ type: "FieldValueRequired", field: "spec.audiences", detail: "" })
        ]
      }),
      status(
        `"message":"TokenRequest.authentication.k8s.io \\"\\" is invalid: [spec.expirationSeconds: Invalid value: 1: a, spec.audiences: Required value]","reason":"Invalid","details":{"group":"authentication.k8s.io","kind":"TokenRequest","causes":[{"reason":"FieldValueInvalid","message":"Invalid value: 1: a","field":"spec.expirationSeconds"},{"reason":"FieldValueRequired","message":"Required value","field":"spec.audiences"}]},"code":422`
      )
    ]
  ]
  for (const [error, expected] of cases) {
    it(`${error._tag}: ${error.message}`, () => {
      const mapped = Status.fromError(error)
      assert.strictEqual(Status.toJson(mapped), expected)
      assert.strictEqual(Status.httpCode(mapped), JSON.parse(expected).code)
    })
  }
})
