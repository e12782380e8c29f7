// Package mpower is the offline fake of KOBIL mPower (mPay by Digitanium,
// documentation v4.18.1): a request-to-pay flow. The merchant's backend
// creates a payment transaction for a registered user, the user approves
// it in the mPower app on their phone, and the merchant learns the outcome
// on its merchantCallback. The fake plays the app and the user.
//
// # API (mounted at /mpower)
//
// Both URL styles of the documentation, with the same behaviour:
//
//	SSMS  (tenant = first label of the Host)
//	  POST /digitanium/v1/login                               password grant (form)
//	  POST /digitanium/v3/mpower/payment/transaction          create
//	  POST /digitanium/v3/mpower/payment/transaction/status   status inquiry
//	  POST /digitanium/v3/mpower/payment/transaction/void     cancel
//	  POST /digitanium/v3/mpower/payment/transaction/refund   refund
//	SHIFT (tenant in the path)
//	  POST /auth/realms/{tenantId}/protocol/openid-connect/token     password grant (Keycloak)
//	  GET  /auth/realms/{tenantId}/protocol/openid-connect/certs     JWKS
//	  GET  /auth/realms/{tenantId}/.well-known/openid-configuration  discovery
//	  POST /auth/realms/{tenantId}/mpower/v1/payment/transaction[/status|/cancel|/refund]
//	The user's app (the fake's)
//	  GET  /app/{userId}                 the phone page
//	  GET  /app/{userId}/state           what the page shows (it polls this)
//	  POST /app/{userId}/{transactionId}/approve|reject|3ds
//
// SSMS tenants: the Host's first label when it is a known tenant
// (sandbox.localhost:8080, ibb.localhost:8080 once a merchant was minted
// into "ibb"); an IP address, localhost, a single-label host (a container
// name such as sim:8080) or the simulator's own public host (--public-url)
// mean the fixture tenant "sandbox"; any other host is an unknown tenant.
//
// Login answers Keycloak's token response; the access token is a JWT
// signed RS256 with a 2048-bit RSA key generated on every start from the
// simulator's secret source (crypto/rand, unless the simulator runs with
// --insecure-deterministic-secrets) and published as the realm's JWKS (kid
// in the token header). Minted client secrets, passwords, client ids, user
// ids (they open unauthenticated app pages), jti and session ids come from
// the same source; transaction ids and merchantIds from the seeded ids. The
// token carries iss (the realm URL), azp (the client id =
// merchantServiceUUID), sub, jti, exp and merchantId; it expires on the
// merchant's own virtual clock (default 5 minutes, Keycloak's default
// lifespan).
//
// # Fixtures
//
// Tenant "sandbox", merchant SANDBOX-MERCHANT-1 ("Sandbox Shop"), client
// id (merchantServiceUUID) 6f1c0d6e-5b7a-4c1e-9a3b-5d2e8f000001, client
// secret mpower-sandbox-client-secret, login sandbox-merchant /
// sandbox-password. Its users, one per outcome (minted merchants get the
// same users under unguessable ids):
//
//	user-approves            approves after appDelay, card   -> PROCESSING -> FINISHED
//	user-wallet              approves after appDelay, wallet -> PROCESSING_DIGITAL -> FINISHED
//	user-rejects             rejects after appDelay          -> CANCELLED
//	user-insufficient-funds  approves, the card has no funds -> PROCESSING -> ERROR "Insufficient funds"
//	user-3ds                 approves, the card needs 3-D Secure -> PROCESSING_3D_SECURE; waits for
//	                         the 3-D Secure step (control action 3ds or the app page, code 123456)
//	user-blocked             blocked: the request is refused at once -> ERROR "User is blocked"
//	user-manual              waits for a person (control actions or the app page)
//
// Merchant settings (POST /_sim/mpower/merchants): tenantId (created on
// first use; default sandbox), merchantName, tokenLifetime (5m), appDelay
// (500ms) and processingDelay (1s), Go durations.
//
// # Statuses and transitions
//
// The twelve documented statuses are one fsm table (lifecycle.go). Every
// edge and its cause:
//
//	NEW -notify-> NOTIFICATION                    the request reaches the user's app (during create)
//	NEW -block-> ERROR                            the user is blocked (during create)
//	NOTIFICATION -approveCard-> PROCESSING        the user approves, paying by card
//	NOTIFICATION -approveWallet-> PROCESSING_DIGITAL  the user approves, paying from the wallet
//	NOTIFICATION -approve3ds-> PROCESSING_3D_SECURE   the user approves with a card that needs 3-D Secure
//	PROCESSING_3D_SECURE -verify3ds-> PROCESSING  the user completes the 3-D Secure step
//	PROCESSING, PROCESSING_DIGITAL -settle-> FINISHED  processingDelay passed, the money moved
//	NOTIFICATION, PROCESSING_3D_SECURE -reject-> CANCELLED  the user rejects (or cancels at 3-D Secure)
//	NOTIFICATION, PROCESSING, PROCESSING_DIGITAL, PROCESSING_3D_SECURE -fail-> ERROR
//	                                              insufficient funds (at settle), the bank declines,
//	                                              3-D Secure fails (control action fail)
//	NOTIFICATION, PROCESSING_3D_SECURE -timeout-> TIMEOUT  transactionTimeout passed, nobody answered
//	NOTIFICATION, PROCESSING_3D_SECURE -cancel-> CANCELLED  merchant: void (SSMS) / cancel (SHIFT)
//	FINISHED -cancel-> VOID                       merchant voids a finished payment
//	FINISHED, REFUND -refund-> REFUND             merchant refunds part; something is left
//	FINISHED, REFUND -refundRest-> CLOSED         merchant refunds the rest (or all at once)
//
// Callbacks: the outcomes (FINISHED, CANCELLED, CLOSED, TIMEOUT, ERROR,
// VOID, REFUND) are POSTed to merchantCallback as
// {"transactionId","processId"?,"refundTransactionId"?,"transactionStatus","transactionMessage"}.
// The statuses on the way (NOTIFICATION, PROCESSING*) reach the merchant
// only through a status inquiry. A failed delivery (no answer or not 2xx)
// is retried after 10s, 30s, 1m, 5m and 15m on the merchant's clock (six
// attempts); every attempt is in GET /_sim/callbacks.
//
// # Control plane
//
// POST /_sim/mpower/transactions/{id}/approve|reject|fail|3ds (fail takes
// an optional {"message"}) and GET /_sim/mpower/transactions/{id}; the Go
// methods Approve, Reject, Fail, Complete3DS, Act and Transaction do the
// same in process.
//
// # Errors
//
// The payment API answers like a Spring Boot service behind Keycloak:
// Spring Security's 401 with no body and WWW-Authenticate (Bearer, or
// Bearer error="invalid_token", error_description=...) for a missing,
// malformed, forged, unknown, foreign-realm or expired token; Spring's
// error body {"timestamp","status","error","message","path","errors":[{
// "field","rejectedValue","defaultMessage"}]} with 400 for a broken field
// rule, 404 for an unknown (or another merchant's) transaction or tenant,
// 409 for a cancel or refund the status does not allow, 415 for a body
// that is not JSON. The token endpoints answer Keycloak's {"error",
// "error_description"}: invalid_request (400), unsupported_grant_type
// (400), invalid_client (401), invalid_grant (401), "Realm does not exist"
// (404). Every error carries the fake's code in X-Paysandbox-Error
// (errors.go has the one table).
//
// Plain http: with --tls (sim.Deps.TLS) the simulator's listeners speak
// only HTTPS (plain http to them gets net/http's 400), and every /mpower
// path also refuses a request that did not arrive over TLS, as a Keycloak
// realm with "SSL required: all requests" does: 403
// {"error":"invalid_request","error_description":"HTTPS required"}. That
// is what a client sees behind a TLS-terminating proxy that does not say
// X-Forwarded-Proto: https, or with the handler embedded behind a plain
// server. Without --tls the fake serves http.
//
// # Assumptions
//
//   - transactionTimeout is in seconds (KOBIL's table and the seed), not
//     minutes (İBB's integrator docs); 1 to 86400. It only ends a request
//     waiting for the user (NOTIFICATION, PROCESSING_3D_SECURE): a payment
//     the user approved is not cut off by it, so the sample's
//     "transactionTimeout": 1 still pays with the approving user.
//   - The request reaches the app during create: create answers "new" (as
//     İBB shows), and NEW is over by the time anyone can ask. NEW therefore
//     has no cancel or timeout edge.
//   - Cancel and refund change the status at once; their answers say the
//     request is "in progress" (İBB) and the outcome goes to the callback
//     (the body's merchantCallback when given, else the transaction's).
//     The cancel answer carries both KOBIL's cancelStatus and İBB's
//     transactionStatus ("cancellation"). The refund answer's tail was cut
//     off in the source; the fake adds amount, currency and refundedAmount.
//   - Statuses: user reject and merchant cancel of a waiting request are
//     CANCELLED; a merchant cancel of a FINISHED payment is VOID; REFUND is
//     "partly refunded" and CLOSED "fully refunded". No source defines
//     them further.
//   - A repeated idempotencyId (per merchant) replays the first create's
//     answer even when the body differs (the first transaction, never a
//     second). A missing idempotencyId gets a random UUID.
//   - Field rules: the seed's table plus: amount is a JSON integer of minor
//     units, 1 to 10^12 (no strings, fractions or exponents: no Jackson
//     coercion); currency is an upper-case ISO 4217 code; paymentContent is
//     the sample's array of arrays of {key,value} strings (at most 50
//     groups, 200 lines, 256 characters a key or value) or a non-blank
//     string (kept as one line, or as its lines when it holds that array as
//     JSON); merchantServiceUUID must be the token's client id and merchantId
//     the token's merchant; userId must be a user of that merchant (the
//     issue says "of the tenant": in the fake each merchant has its own
//     users, so merchants sharing the fixture tenant stay isolated).
//     Required: everything in the table but idempotencyId and
//     referenceNumber. Unknown fields are ignored (Spring Boot's Jackson
//     default); merchantName, processId and paymentType (İBB) are taken.
//   - Status inquiry: merchantId and transactionId (or İBB's transactionID)
//     are required; merchantCallback or merchantServiceUUID optional.
//     Cancel and refund: merchantId and paymentTransactionId are required,
//     the other fields of KOBIL's list are optional but checked when given.
//   - Error shapes and codes are undocumented; the fake follows Spring Boot
//     and Keycloak (see Errors). The 400 message names the field after
//     Spring's "Validation failed for object=..." prefix.
//   - The token endpoint implements only the password grant; no refresh
//     token is issued (refresh_expires_in 0). Client credentials are taken
//     from the form or HTTP Basic auth.
//   - Tokens are JWTs but also server-side sessions: a reset forgets them,
//     and the realm check compares the session's tenant, not the iss string
//     (the public URL may change while the simulator runs).
//   - The fixture tenant also answers on the simulator's public host, so
//     SSMS works through a reverse proxy or the contract runner's
//     in-process host (sim.contract.invalid).
//   - Callbacks are not signed (no source mentions a signature).
//   - Bounded state (sim.Limits, on the merchant's clock): a transaction
//     nothing happens to by itself (FINISHED, REFUND and the final
//     statuses) is forgotten Retention (default 48h) after its last change,
//     so a refund the next day still finds its payment; its id then answers
//     404 and its idempotencyId is free again. A minted merchant with no
//     login or API call for MerchantIdle (24h) is freed with its users,
//     tokens and transactions; past MaxObjects (10000) transactions a
//     merchant's oldest is forgotten first. Sessions (issued tokens) are
//     kept per merchant: one that expired more than 24h ago is forgotten
//     (its token then answers "Token is not active" instead of "Jwt
//     expired"), and past MaxObjects live sessions a merchant's oldest
//     token is forgotten first, as Keycloak's session limit would end it.
//     DELETE /_sim/mpower/merchants/{merchantId} frees a minted merchant
//     at once, and a tenant other than the fixture's goes with its last
//     merchant (the realm then no longer exists); /_sim/health counts
//     tenants, merchants, users, transactions and sessions.
//   - Isolation: each merchant's requests, timers, retention sweep and
//     app-page and control actions run under that merchant's own lock; the
//     provider-wide lock covers only the id lookups (see "Locking" in
//     provider.go), and tokens are verified outside every lock, so no
//     merchant waits on another's work. Requests of one merchant still run
//     one at a time (a login's token signing included).
package mpower
