/**
 * A name or address given with `--allowed-host` / `COUNCIL_ALLOWED_HOSTS` is answered when a browser writes it in
 * `Host`, however either was spelled: the guard compares names as the URL parser leaves them (IPv6 shortened, an
 * IPv4 address in dotted decimal, lower case), and a fully qualified name's trailing dot names the same host.
 */
import { assert, describe, it } from "@effect/vitest"
import { HostCheck } from "@council/server"
import { allowedHost } from "../src/MonitorConfig.ts"

const policy = (flag: string): HostCheck.Policy => {
  const checked = allowedHost(flag)
  if ("problem" in checked) throw new Error(checked.problem)
  return { listen: "127.0.0.1", allowed: [checked.host] }
}

describe("--allowed-host as the guard compares it", () => {
  it("an IPv6 address given in full, or in capitals, is the one a browser writes shortened", () => {
    for (const flag of ["2001:DB8:0:0:0:0:0:1", "[2001:db8::0001]", "2001:db8::1"]) {
      const given = policy(flag)
      assert.deepStrictEqual(given.allowed, ["[2001:db8::1]"], flag)
      for (const host of ["[2001:db8::1]", "[2001:db8::1]:8443", "[2001:DB8:0::1]"]) {
        assert.isTrue(HostCheck.accepts(given, HostCheck.hostnameOf(host)), `${flag} → ${host}`)
      }
      assert.isFalse(HostCheck.accepts(given, HostCheck.hostnameOf("[2001:db8::2]")), flag)
    }
  })

  it("a fully qualified name's trailing dot, in Host or in the flag, names the same host; a name stays refused", () => {
    const given = policy("council.example.com")
    for (const host of ["council.example.com.", "Council.Example.com.:443", "localhost.", "localhost.:8080"]) {
      assert.isTrue(HostCheck.accepts(given, HostCheck.hostnameOf(host)), host)
    }
    assert.deepStrictEqual(policy("council.example.com.").allowed, ["council.example.com"])
    for (const host of ["attacker.example.", "council.example.com..", "localhost..", ".", "council.example.com.evil."]) {
      assert.isFalse(HostCheck.accepts(given, HostCheck.hostnameOf(host)), host)
    }
  })

  it("still refuses what is no host name", () => {
    for (const flag of ["http://council.lan", "council.lan:8080", "*.lan", "", ".", "council..lan", "[::1]:80"]) {
      assert.isTrue("problem" in allowedHost(flag), flag)
    }
  })
})
