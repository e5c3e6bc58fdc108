import { assert, describe, it } from "@effect/vitest"
import { htmlPage, isHtmlPage, pageTitle, TITLE_MAX } from "../src/HtmlPage.ts"

describe("HtmlPage", () => {
  it("tells a page from JSON and plain words", () => {
    for (const page of ["<html><body>x</body></html>", "  \r\n<!DOCTYPE html><p>x", "<!-- cf --><div>x</div>", "<center><h1>502</h1></center>", "<br/>"]) {
      assert.isTrue(isHtmlPage(page), page)
    }
    for (const text of ["{\"message\":\"<b>\"}", "rate limit exceeded", "<3 the market", "< 5 shares", "", "upstream <b>busy</b>"]) {
      assert.isFalse(isHtmlPage(text), text)
    }
  })

  it("reads the title, else the first heading, as plain text on one line (no angle bracket, even an escaped one), cut to TITLE_MAX", () => {
    assert.strictEqual(pageTitle("<title>\n  AT&amp;T &#8211; down &#x2014; &lt;soon&gt;&nbsp;</title><h1>no</h1>"), "AT&T – down — soon")
    assert.strictEqual(pageTitle("<title> </title><h3 id=x>Service <b>Unavailable</b></h3>"), "Service Unavailable")
    assert.strictEqual(pageTitle("<p>nothing named</p>"), undefined)
    assert.strictEqual(pageTitle(`<title>${"a".repeat(TITLE_MAX + 10)}</title>`), `${"a".repeat(TITLE_MAX)}…`)
    assert.strictEqual(pageTitle("<title>&bogus; &#0; ok</title>"), "&bogus; ok")
  })

  it("says the status and title, the status once, the status's phrase when there is no title", () => {
    assert.strictEqual(htmlPage(502, "<title>502 Bad Gateway</title>", "Alpaca"), "502 Bad Gateway (an HTML page, not Alpaca's JSON)")
    assert.strictEqual(htmlPage(5023, "<title>502 Bad Gateway</title>", "Alpaca"), "5023 502 Bad Gateway (an HTML page, not Alpaca's JSON)")
    assert.strictEqual(htmlPage(503, "<html><title>Maintenance</title></html>", "polygon"), "503 Maintenance (an HTML page, not polygon's JSON)")
    assert.strictEqual(htmlPage(504, "<html><body></body></html>", "Alpaca"), "504 Gateway Timeout (an HTML page, not Alpaca's JSON)")
    assert.strictEqual(htmlPage(599, "<html></html>", "Alpaca"), "599 (an HTML page, not Alpaca's JSON)")
    assert.strictEqual(htmlPage(502, "Bad Gateway", "Alpaca"), undefined)
  })

  it("names what was expected instead when it is not JSON (Slack answers plain text)", () => {
    assert.strictEqual(htmlPage(502, "<html><title>502 Bad Gateway</title></html>", "Slack", "answer"), "502 Bad Gateway (an HTML page, not Slack's answer)")
  })
})
