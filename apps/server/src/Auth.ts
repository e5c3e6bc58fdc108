/**
 * The bearer token every mutating endpoint needs (`COUNCIL_API_TOKEN`).
 *
 * **Rules**: with no token configured every mutation is refused (401), whatever the request carries; a token is
 * compared in constant time (SHA-256 digests of both, `timingSafeEqual`), so the time taken says nothing about
 * how much of it matched. The token is `Redacted` and never logged: refusals say why without echoing anything.
 *
 * @since 0.1.0
 */
import { createHash, timingSafeEqual } from "node:crypto"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { Authorization, Unauthorized } from "@council/api"

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest()

/** Whether `presented` is `expected`, in time independent of where they differ. */
export const sameToken = (presented: string, expected: string): boolean => timingSafeEqual(digest(presented), digest(expected))

export const layer = (token: Option.Option<Redacted.Redacted>): Layer.Layer<Authorization> =>
  Layer.succeed(Authorization)({
    bearer: (effect, { credential }) =>
      Option.match(token, {
        onNone: () => Effect.fail(new Unauthorized({ message: "mutations are disabled: set COUNCIL_API_TOKEN on the server to allow them" })),
        onSome: (expected) =>
          sameToken(Redacted.value(credential), Redacted.value(expected))
            ? effect
            : Effect.fail(new Unauthorized({ message: "missing or wrong bearer token (Authorization: Bearer $COUNCIL_API_TOKEN)" }))
      })
  })
