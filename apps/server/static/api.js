// What every view of the page asks the monitor API with (same origin), and how it says a failure.

/** Signals the requests of the page shown now (`leave` replaces it at each navigation). */
let leaving = new AbortController()

/** Cancels what the page shown until now still asks for: `route` calls it at each navigation. */
export function leave() {
  leaving.abort()
  leaving = new AbortController()
}

/**
 * The API's answer to a GET of `path` for the page shown now: its request is cancelled when the user goes elsewhere
 * (`whole`: never). A failure throws an Error with its message and, when the API answered, its `status` and `tag`.
 * A cancelled request throws its `AbortError` also when its headers had arrived and its body was being read: never a
 * `null` answer in place of the one cut off (the page that asked has been left; its callers drop an `AbortError`).
 */
export async function api(path, whole = false) {
  const res = await fetch(path, { headers: { accept: "application/json" }, ...(whole ? {} : { signal: leaving.signal }) })
  if (res.ok) return await res.json()
  // a failure's body says why when it is the API's JSON; any other (a proxy's page) is said by its status
  const body = await res.json().catch((error) => {
    if (error.name === "AbortError") throw error
    return null
  })
  throw Object.assign(new Error(body?.message ?? `${res.status} ${res.statusText}`), { status: res.status, tag: body?._tag })
}

/**
 * Why an answer did not come, in words: stored data that does not read back (`Damaged`) is damage, which asking
 * again will not mend; a store that did not answer (`Unavailable`: busy, locked, unreachable) may answer next time,
 * and so may a server that did not answer at all.
 */
export const failure = (error) =>
  error.tag === "Damaged" ? `damaged: ${error.message}`
  : error.tag === "Unavailable" ? `the store did not answer (try again): ${error.message}`
  // fetch's own TypeError: no answer at all (the server stopped or restarting, the network down)
  : error instanceof TypeError ? `the monitor server did not answer (stopped, or restarting?): try again once pnpm pipeline serve is back`
  : error.message

/** How many runs, and backtests, a page of the dashboard asks for at a time. */
export const PAGE = { runs: 100, backtests: 50 }
