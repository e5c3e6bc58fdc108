/**
 * The web dashboard: its static files (a page, a stylesheet, its script modules) served by the monitor server
 * itself, with a Content-Security-Policy that lets the page load nothing but them and the API (no CDN, no font or
 * script from elsewhere: it works offline).
 * Charts are SVG drawn by the page's own script; its numbers are written by `@council/domain`'s `Figures.js`, served
 * as `/figures.js`, the very module the CLI and the report write theirs with.
 *
 * @since 0.1.0
 */
import { readFileSync } from "node:fs"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerResponse from "effect/http/HttpServerResponse"

const STATIC = new URL("../static/", import.meta.url)

const FILES: ReadonlyArray<{ readonly path: HttpRouter.PathInput; readonly file: string | URL; readonly type: string }> = [
  { path: "/", file: "index.html", type: "text/html; charset=utf-8" },
  { path: "/figures.js", file: new URL(import.meta.resolve("@council/domain/Figures.js")), type: "text/javascript; charset=utf-8" },
  ...["app.js", "api.js", "charts.js", "control.js", "dom.js", "run.js", "runs.js", "standings.js"].map((file) => ({ path: `/${file}` as const, file, type: "text/javascript; charset=utf-8" })),
  { path: "/app.css", file: "app.css", type: "text/css; charset=utf-8" }
]

const HEADERS = {
  "cache-control": "no-cache",
  "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff"
}

/**
 * A browser asks every page without an icon of its own for `/favicon.ico` — `/openapi.json` opened from the
 * dashboard's footer, say — and logs a 404 as an error on that page: there is no icon, and that is no error.
 */
const noIcon = HttpRouter.add("GET", "/favicon.ico", HttpServerResponse.empty({ headers: { "cache-control": "max-age=86400" } }))

/** The dashboard's routes (files read once, when the layer is built). */
export const routes = Layer.unwrap(Effect.sync(() => {
  const route = ({ file, path, type }: typeof FILES[number]) =>
    HttpRouter.add("GET", path, HttpServerResponse.text(readFileSync(new URL(file, STATIC), "utf8"), { contentType: type, headers: HEADERS }))
  return Layer.mergeAll(route(FILES[0]!), ...FILES.slice(1).map(route), noIcon)
}))
