// Package misspay fakes the MIS Pay (Saudi buy-now-pay-later) online
// merchant API, v1.2 of the start-checkout body, as documented at
// doc.mispay.co and seen in MIS Pay's public WooCommerce, Magento and
// OpenCart plugins.
//
// # What is modelled
//
//   - GET /token: x-app-id + x-app-secret; result.token is
//     base64(salt16 || nonce12 || AES-256-GCM ciphertext || tag16) with key
//     PBKDF2-HMAC-SHA256(secret, salt, 40000, 32), decrypting to
//     {"token":"<JWT>","expiration":"<RFC3339>"}. Errors ME01, ME02, ME03.
//   - POST /start-checkout (v1.2 body, and the v1.1 body the plugins send),
//     GET /track-checkout/{trackId}, GET /checkout/{checkoutId},
//     PUT /checkout/{checkoutId}/end, POST /refund,
//     PUT /update-order-id/{checkoutId}; bearer JWT + x-app-id, errors ME10
//     (invalid token) and ME11 (expired, on the virtual clock).
//   - The checkout lifecycle as one fsm table (lifecycle.go):
//     in-progress -progress-> pending; in-progress|pending -approve->
//     success (MP00), -cancel-> canceled (MP02), -timeout-> canceled (MP01),
//     -fail-> error. A checkout nobody finishes times out by itself.
//   - A hosted checkout page at result.url (/pay/{trackId}) with the order,
//     items, amount, a 4-instalment plan and approve/cancel buttons that
//     redirect the browser to the merchant's callback URL.
//   - The merchant callback (GET callbackUrl?_=<base64(blob)>&appId=...,
//     blob decrypting to {orderId, code, checkoutId}) and the plaintext JSON
//     webhook ({checkoutId, orderId, code, appId[, isFullyRefunded]}),
//     each sent once, for MP00, MP01, MP02 and (webhook only) MP03.
//
// # Fixture merchant and magic values
//
// appId "mispay-sandbox-app", appSecret "mispay-sandbox-secret" exist from
// start-up (GET /_sim/misspay/credentials). POST /_sim/misspay/merchants
// mints isolated merchants; both take the settings callbackUrl, webhookUrl,
// tokenTtl (default 1h) and checkoutTimeout (default 30m).
//
// # Control actions (beyond docs/control-api.md)
//
//   - GET /_sim/misspay/checkouts/{trackId}: the checkout as the simulator
//     sees it (status, checkoutId, refunded amount, owner appId).
//   - PUT /_sim/misspay/merchants/{appId}: change a merchant's settings.
//
// # Assumptions (where the documentation is silent)
//
//   - Update order id: the documentation omits the URL; the fake serves
//     PUT /update-order-id/{checkoutId} with body {"orderId"}. Its errors use
//     the coded envelope {"status":"error","result":{"code":400,"message":"ME05"}}
//     as documented, and ME97 in the same envelope for a bad body.
//   - HTTP statuses: token errors, ME04, ME05 and ME97 are 400 (the status
//     text inside the envelopes says 400); ME10 and ME11 are 401.
//     POST /start-checkout and POST /refund answer 201 (NestJS's default for
//     POST; the OpenCart plugin accepts 200 or 201), everything else 200.
//   - Envelopes: the documentation shows three error shapes. The fake uses
//     "error : 400" + "ExceptionType.MEnn" for /token; "error :: 400" +
//     "ExceptionType.MEnn" for ME04, ME05 and ME97 elsewhere (the shape the
//     documentation shows for ME04/ME05); the coded shape for ME10, ME11 and
//     for update-order-id. A human explanation of every error travels in the
//     X-Paysandbox-Detail response header, which real MIS Pay does not send.
//   - Unknown paths and methods answer 404 {"status":"error","result":
//     {"code":404,"message":"Cannot GET /path"}} (NestJS's wording); a body
//     over the size limit answers 413 with message ME97.
//   - Authentication: the Authorization scheme is "Bearer" in any case
//     ("BEARER x", RFC 9110 section 11.1, as passport-jwt reads it). A
//     missing or malformed Authorization header, a bad
//     signature, a token of another app than x-app-id, a missing x-app-id,
//     or a token of a merchant that was reset away are all ME10. Only a
//     correctly signed, expired token is ME11.
//   - JWT: HS256 signed with a key derived from --seed; claims appId,
//     merchantId, iss "paysandbox-misspay", sub (= appId), iat, exp, jti.
//     expiration in the token plaintext equals exp (RFC 3339, UTC). Lifetime
//     1h by default (the OpenCart plugin assumes 1h), per merchant tokenTtl.
//   - Crypto: the fake keeps one random salt per merchant and derives the
//     key once, with a fresh nonce per message; real MIS Pay draws a fresh
//     salt each time. Clients cannot tell: the salt travels in the message.
//     Salts and nonces come from the seeded generator.
//   - Reset: the fixture merchant (appId, secret and merchantId
//     "648e1d5f8a65485327aad4e8") is the same before and after, so its
//     tokens stay valid; every other id (minted merchants, track ids,
//     checkout ids) comes from a fresh seeded stream per reset and never
//     repeats one handed out before, so a stale credential of a minted
//     merchant is ME10, never another merchant's.
//   - Start-checkout validation (ME97 otherwise): version "v1.2" or "v1.1";
//     orderId non-empty, at most 255 characters; purchaseCurrency "SAR" only
//     (MIS Pay is a Saudi riyal product); lang "en" or "ar". v1.2: totalPrice,
//     shippingAmount, vat and purchaseAmount are mandatory strings holding
//     non-negative numbers with at most two significant decimals (JSON
//     numbers are refused; more decimals only when they are zeros,
//     "1073.5300"); discount.amount and discount.percentage (<= 100), when
//     given, too; purchaseAmount must be positive; customerDetails must be an
//     object; orderDetails.items must be a non-empty array whose items have
//     a quantity (a string holding a positive number, "2" or "2.0000" or
//     "1.5"), a unitPrice (numeric string) and nameArabic or nameEnglish;
//     optional fields must have their documented types. totalPrice is not
//     checked against the items (the documentation's own sample does not
//     add up).
//   - Leniency proven by MIS Pay's own clients (the fake must never be
//     stricter than they show the real API to be). The current Magento 2
//     extension (mispay-bnpl/mispay-magento2-extension, commit 943e00e,
//     Helper/MISPayRequestHelper.php) sends purchaseAmount as
//     number_format(grandTotal, 1) -- one decimal --, totalPrice, vat and
//     shippingAmount as the order's DECIMAL(x,4) columns, no discount object
//     even when a coupon applied, items' qty_ordered as "2.0000", and the
//     billing telephone exactly as the customer typed it; the OpenCart
//     plugin sends mobileNumber "" when it does not recognise the number.
//     So: the documented sum purchaseAmount = totalPrice + shippingAmount +
//     vat - discount.amount is not enforced, and mobileNumber may be absent,
//     empty or in any format. The fake accepts such a body (201) and names
//     the broken rule in the X-Paysandbox-Detail header of the success, so
//     an integration still sees it. Not relaxed, because no MIS Pay client
//     shows the real API accepting it: JSON numbers in a v1.2 body,
//     significant third decimals in summed amounts, null amounts. v1.1 (the body of the WooCommerce and
//     Magento plugins): orderId, purchaseAmount, purchaseCurrency and
//     version are mandatory; lang is optional (WooCommerce sends none;
//     default "en"); purchaseAmount is a JSON number (rounded to halalas,
//     as PHP's float cast sends 199.99000000000001) or a numeric string,
//     greater than 0. A repeated orderId starts a new checkout.
//   - callbackUri: the Magento dynamic-callback plugin adds an absolute URL
//     to the start-checkout body; the fake sends that checkout's callback
//     (and redirects the browser) there instead of to the merchant's
//     registered callbackUrl. Anything but an absolute http(s) URL is ME97.
//   - Item unitPrice may carry any number of decimals (OpenCart sends
//     "500.0000"); it is shown rounded to halalas. The summed fields keep
//     the two-decimal rule.
//   - Paths: "//" collapses to "/" (plugins join a base ending in "/" with
//     paths starting with "/"), and PUT /checkout{checkoutId}/end (no
//     slash, as the WooCommerce plugin builds it) is the same as
//     PUT /checkout/{checkoutId}/end. API paths route as Express (NestJS's
//     default platform) routes them: literal segments in any case
//     (/TOKEN), one trailing slash ignored (/token/), and HEAD answered by
//     every GET route (Express does so; its body is dropped). Route
//     parameters keep their case. The hosted page is not part of the API
//     and routes exactly.
//   - Dates (purchaseDate, createdAt, updatedAt, refund history createdAt)
//     are serialised as Node's Date.prototype.toJSON does: UTC with exactly
//     three fraction digits (2026-01-01T09:00:00.000Z), truncated from the
//     virtual clock. The token plaintext's expiration keeps the
//     documentation's second precision (2022-12-31T23:59:59Z).
//   - Track: the response is wrapped in the success envelope, although the
//     documentation's Track Checkout section shows a bare object: MIS Pay's
//     own Magento 2 extension and the OpenCart plugin both read
//     result.status (and result.orderId), which only the envelope gives;
//     the README warns readers of the document. purchaseAmount is a
//     number; checkoutId appears only once the status is success. A timed-out checkout reports
//     "canceled" (the track statuses have no "timeout"; the callback code
//     MP01 tells the two apart). "fail" (status error) sends no callback.
//   - Checkout ids are assigned when the customer completes the purchase, so
//     MP01/MP02 callbacks and webhooks carry checkoutId null, and
//     GET /checkout/{id} only knows completed checkouts. Track ids are UUIDs,
//     other ids 24-hex ObjectIds.
//   - GET /checkout/{checkoutId} adds status, createdAt and updatedAt (read by
//     a community Laravel client) to the documented fields; purchaseAmount
//     is a number and keeps the original amount after refunds.
//   - PUT /checkout/{id}/end needs a successful checkout (ME04 otherwise) and
//     is idempotent: ending twice returns the same transactionId.
//   - Refund: purchaseId is the checkoutId; orderId, currency and
//     totalAmount must match the purchase (ME97); amount must be positive
//     and at most what remains (ME97); unknown or another merchant's
//     purchase is ME05. A repeated merchantRefundId with the same amount
//     replays the first answer (a different amount is ME97).
//     newPurchaseAmount is the purchase amount minus every refund so far;
//     moneyRefundToUser and increaseUserBalance equal the refunded amount
//     and moneyRefundAmount is 0, as in the documentation's sample;
//     refundPaymentHistories lists the earlier refunds of the purchase.
//     Every refund sends webhook MP03 with isFullyRefunded.
//   - Callbacks: after a control action (or Act) the simulator sends the
//     callbackUrl GET itself, standing in for the customer's browser
//     following the redirect; after a click on the hosted page the real
//     browser follows the 303 and the simulator sends only the webhook, so
//     the shop sees the callback once either way. Both it and
//     the webhook are attempted once (no retries), as MIS Pay documents for
//     the webhook. Existing query parameters of callbackUrl are kept and "_"
//     comes first. Without a callbackUrl the hosted page redirects back to
//     itself and shows the outcome.
//   - Opening the hosted page moves an in-progress checkout to pending. The
//     page needs no authentication: its URL is the secret, as with the real
//     one.
//   - Lenient input, as MIS Pay's NestJS service reads it (Express's JSON
//     body parser, then class-validator): orderId is any non-empty string
//     (IsString), control characters included (NUL, ESC, CR, LF, written
//     as JSON escapes; a raw control character inside a JSON string is a
//     malformed body, ME97, as JSON.parse refuses it too); bytes that are
//     not UTF-8 are read as U+FFFD, as Node decodes them; a key repeated
//     in one object keeps its last value, as JSON.parse does. The fake
//     stores and echoes such an orderId exactly (JSON-escaped in
//     responses, callbacks and webhooks; HTML-escaped on the hosted page)
//     and, since the real service says nothing, names what it tolerated in
//     the X-Paysandbox-Detail header of start-checkout's and
//     update-order-id's success, so an integration that sends such bytes
//     by mistake still notices. The 255-character limit counts bytes.
package misspay
