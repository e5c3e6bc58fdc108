// What the page may change, each behind the server's bearer token (COUNCIL_API_TOKEN): approving or rejecting a run
// stopped at its approval gate, and the panic button (close every position), each asked twice before it is sent.
// The token is typed into the page each time and sent only in the request's Authorization header: never stored,
// shown or put in the address.

import { card, h } from "./dom.js"

/**
 * POSTs `body` as JSON to `path` with the token; resolves with the answer's body, or throws an Error saying why it was
 * refused (the API's message, e.g. a missing or wrong token) with its `status`.
 */
async function post(path, body, token) {
  const res = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...(token === "" ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body)
  })
  const answer = await res.json().catch(() => null)
  if (!res.ok) throw Object.assign(new Error(answer?.message ?? `${res.status} ${res.statusText}`), { status: res.status })
  return answer
}

let fields = 0

/** A labelled password field for the token (nothing remembers it: no autocomplete, no storage). */
function tokenField() {
  const id = `api-token-${++fields}`
  const input = h("input", { type: "password", id, class: "token", autocomplete: "off", spellcheck: "false", "aria-describedby": `${id}-hint` })
  return {
    input,
    label: h("label", { for: id }, "API token"),
    hint: h("span", { class: "range", id: `${id}-hint` }, "the server's COUNCIL_API_TOKEN; sent with this request only, never stored")
  }
}

/**
 * A form whose `actions` ([{ id, label, confirm, send }]) each ask to be confirmed (`confirm`: what will happen, or a
 * function saying it when asked), then
 * `send(token)`; `done(answer, action)` says what came of it. A refusal (no token, a wrong one, a run no longer
 * waiting) is said in the form, which stays to try again.
 */
function guardedForm(id, intro, actions, done) {
  const token = tokenField()
  const status = h("p", { class: "control-status", role: "status", "aria-live": "polite" })
  const buttons = h("div", { class: "control-buttons" })
  const ask = (action) => {
    status.className = "control-status"
    status.replaceChildren()
    const yes = h("button", { type: "button", class: "danger", "data-confirm": action.id }, `Yes, ${action.label.toLowerCase()}`)
    const no = h("button", { type: "button", "data-cancel": action.id }, "Cancel")
    no.addEventListener("click", () => { showActions(); buttons.querySelector(`[data-action="${action.id}"]`)?.focus() })
    yes.addEventListener("click", async () => {
      yes.disabled = no.disabled = true
      status.className = "control-status muted"
      status.textContent = "Sending…"
      try {
        const answer = await action.send(token.input.value)
        token.input.value = ""
        showActions()
        status.className = "control-status pos"
        status.replaceChildren(...[done(answer, action)].flat())
      } catch (error) {
        showActions()
        status.className = "control-status neg"
        status.textContent = `Refused: ${error.message}`
      }
    })
    buttons.replaceChildren(h("p", { class: "warning confirm" }, typeof action.confirm === "function" ? action.confirm() : action.confirm), yes, no)
    yes.focus()
  }
  const showActions = () => buttons.replaceChildren(...actions.map((action) => {
    const button = h("button", { type: "button", class: action.danger ? "danger" : "", "data-action": action.id }, action.label)
    button.addEventListener("click", () => ask(action))
    return button
  }))
  showActions()
  // Enter in the token field asks for the first action, as a click on it would
  token.input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); ask(actions[0]) }
  })
  // a form (the token is a password field of it), never submitted: the CSP forbids it, and the buttons send
  const form = h("form", { class: "control", id }, h("p", { class: "muted" }, intro), h("div", { class: "token-row" }, token.label, token.input, token.hint), buttons, status)
  form.addEventListener("submit", (event) => event.preventDefault())
  return form
}

/**
 * What a card offers in place of its form when the server refuses every mutation (`/api/server`: started without
 * COUNCIL_API_TOKEN): why, and the command that does the same. No token field, no button that can only be refused.
 */
const disabled = (id, what, command) => h("div", { class: "control", id },
  h("p", { class: "muted disabled-note" }, `${what} is disabled on this server: it was started without COUNCIL_API_TOKEN, so it refuses every change. `,
    "Run ", h("code", {}, command), " instead, or restart pnpm pipeline serve with COUNCIL_API_TOKEN set."))

/**
 * A run stopped at its approval gate: approve (send its orders) or reject (end its day with nothing sent).
 * `mutations`: whether the server accepts them (`/api/server`).
 */
export function approvalCard(run, reload, mutations = true) {
  const path = `/api/runs/${encodeURIComponent(run.id)}/approve`
  if (!mutations) return card("Approval", disabled("approval", "Approving from this page", `pnpm pipeline approve ${run.id}`), h("p", { class: "muted" }, "(--reject ends the day with nothing sent)"))
  return card("Approval",
    guardedForm("approval", `This run stopped at its approval gate: its orders (the risk verdicts below) wait for a decision. The same as pnpm pipeline approve ${run.id} (--reject).`, [
      { id: "approve", label: "Approve and send the orders", confirm: `Send run ${run.id}'s orders to the brokers now?`, send: (token) => post(path, {}, token) },
      { id: "reject", label: "Reject", danger: true, confirm: `End ${run.tradingDay}'s run ${run.id} with nothing sent?`, send: (token) => post(path, { reject: true }, token) }
    ], () => {
      reload()
      return "Done."
    }))
}

/**
 * The panic button: cancel every open order and close every position, of every account or of one. `mutations`:
 * whether the server accepts them (`/api/server`).
 */
export function closeAllCard(accounts, mutations = true) {
  if (!mutations) return card("Close all", disabled("close-all", "The panic button", "pnpm pipeline close-all [--account NAME]"))
  const choice = h("select", { id: "close-all-account" }, h("option", { value: "" }, "every account"), ...accounts.map((a) => h("option", { value: a }, a)))
  const which = () => choice.value === "" ? "every account" : choice.value
  const form = guardedForm("close-all", "The panic button: cancels every open order and closes every position at market (pnpm pipeline close-all).", [
    {
      id: "close-all", label: "Close all positions", danger: true,
      confirm: () => `Cancel every open order and close every position of ${which()} at market now?`,
      send: (token) => post("/api/close-all", choice.value === "" ? {} : { account: choice.value }, token)
    }
  ], (answer) => answer.map((a) => h("span", { class: `closed-account ${a.error ? "neg" : ""}`, "data-account": a.account },
    a.error ? `${a.account}: ${a.error}` : `${a.account}: ${a.canceled} order${a.canceled === 1 ? "" : "s"} canceled, ${a.closed.length} position${a.closed.length === 1 ? "" : "s"} closed`)))
  form.querySelector(".token-row").before(h("div", { class: "token-row" }, h("label", { for: "close-all-account" }, "Accounts"), choice))
  return card("Close all", form)
}
