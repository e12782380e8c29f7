// Package mobilepay fakes the MobilePay point-of-sale API as published by
// Integra ("powered by Integra", https://mobilepay-pos.poweredbyintegra.dk/Help),
// a wrapper over MobilePay PoS v10, together with virtual terminals and
// virtual customer phones. It is mounted at /mobilepay; every path of the
// seed (../../../shared/seeds/mobilepay.txt) is served unchanged below it,
// e.g. GET /mobilepay/api/pos/payment/status?paymentId=...&accessToken=...&bioCode=...
//
// # What is modelled
//
// All 35 operations: refunds (create GET/POST, details, list by payment,
// capture, cancel), payments (terminal QR code, start by terminalId and by
// posId in GET and POST forms, prepare GET/POST, ready GET/POST, details,
// list, status, capture, cancel, the three paymentId retrieval calls) and
// management (token create GET/POST and reset, PoS create GET/POST, delete
// GET and DELETE, terminal information, stores, store, check-in status by
// posId and by terminalId). GET twins read the query string, POST twins a
// JSON object with the same field names; both run the same handler.
//
// The merchant model: a merchant (bioCode) has stores, a store has
// terminals, and a terminal has at most one PoS (posId, a GUID) that exists
// only after api/pos/manage/create; delete frees it. A PoS has at most one
// checked-in customer and at most one active payment.
//
// Payments follow one fsm table (lifecycle.go, paymentFSM):
//
//	start            -> Initiated   (-> IssuedToUser at once when a customer is checked in)
//	prepare          -> Prepared    (-> Paired at once when a customer is checked in)
//	Initiated    --checkIn-->          IssuedToUser
//	Prepared     --checkIn-->          Paired
//	Paired       --ready-->            IssuedToUser
//	Prepared     --ready-->            Initiated   (ready before anyone checked in)
//	IssuedToUser --accept-->           Reserved
//	Paired|IssuedToUser --reject-->    CancelledByUser
//	IssuedToUser --ageReject-->        RejectedByMobilePayDueToAgeRestrictions
//	Initiated|Prepared|Paired|IssuedToUser --mobilePayCancel--> CancelledByMobilePay (also the payment timeout)
//	Reserved     --capture-->          Captured    (partial capture allowed)
//	Reserved     --expire-->           ExpiredAndCancelled (also the reservation timeout)
//	Initiated|Prepared|Paired|IssuedToUser|Reserved --cancel--> CancelledByClient
//	(cancel in a finished state other than Captured answers success and changes nothing)
//
// Refunds follow refundFSM: Initiated --reserve--> Reserved (by itself after
// the refund reserve delay) --capture--> Captured; Initiated|Reserved
// --cancel--> CancelledByClient; Reserved --expire--> ExpiredAndCancelled
// (after the refund timeout).
//
// Timings (virtual clock; per merchant through POST /_sim/mobilepay/merchants
// settings paymentTimeout, reservationTimeout, refundReserveDelay,
// refundTimeout): a payment waiting for the customer is cancelled by
// MobilePay after 5m in that state; a reservation expires after 24h; a
// refund is reserved 1s after creation and expires 24h after that.
//
// Where the automatic CancelledByMobilePay comes from: the seed says "The
// Point of Sale is responsible for cancelling a payment that has been
// initiated but not completed. Otherwise you can't state a new payment."
// The fake keeps that true -- a payment waiting for the customer blocks
// its PoS, and the PoS should cancel it -- but the seed also lists
// CancelledByMobilePay, a state no PoS call produces. Integra wraps
// MobilePay PoS v10, whose payment flows (payment_flows.md) have MobilePay
// cancel an Initiated or IssuedToUser payment left inactive too long with
// exactly that state. The fake models that v10 behaviour for every state
// that waits for the customer (Prepared and Paired too). v10 publishes no
// figure, so the 5 minutes are the fake's own choice, configurable per
// merchant (paymentTimeout): a PoS that relies on MobilePay instead of
// cancelling itself shows up once the timeout is set long. A PoS that
// cancels after MobilePay already did gets success (cancel works in any
// state but Captured).
//
// # Fixture merchant (the same for every seed)
//
//	bioCode      BIO0001
//	accessToken  mp-sandbox-5f2b7c1e-access-token
//	store 3f1c6a52-6d5e-4b8a-9a51-5b0c2a7e0001 "Sandbox Bio Copenhagen"
//	  T1001  posId a1e3b2c4-1001-4c7e-8f00-5a4db0c01001
//	  T1002  posId a1e3b2c4-1002-4c7e-8f00-5a4db0c01002
//	  T1003  (no PoS: create one with api/pos/manage/create)
//	store 3f1c6a52-6d5e-4b8a-9a51-5b0c2a7e0002 "Sandbox Bio Aarhus"
//	  T2001  posId a1e3b2c4-2001-4c7e-8f00-5a4db0c02001
//	  T2002  (no PoS)
//
// POST /_sim/mobilepay/merchants mints a merchant with the same layout:
// bioCode "BIO" + 8 digits, terminal ids prefixed with the bioCode
// ("BIO12345678-T1001"), generated store and PoS ids, and a fresh
// accessToken (none with {"withoutAccessToken":true}, so the client can
// create it with api/pos/manage/token).
//
// # Control actions (/_sim/mobilepay)
//
//	POST   /checkins {"posId"|"terminalId","customer":{"name","age"},"bioCode"?}  customer checks in
//	DELETE /checkins/{posId}                                  customer walks away
//	GET    /pos/{posId}                                       check-in and active payment (fake addition)
//	POST   /payments/{paymentId}/accept|reject|age-reject|mobilepay-cancel|expire
//
// Check-in replies {"bioCode","posId","terminalId","checkedIn","customer","payment"};
// payment actions reply {"paymentId","posId","terminalId","status"}; a
// refused transition is 409 invalid_transition. The same actions are Go
// methods: CheckIn, Leave, PosState, Act.
//
// The virtual phone: api/pos/terminal/qrcode returns (in message) a link
// to /mobilepay/qr/{posId}.png, a real QR code that encodes
// /mobilepay/phone/{posId}. That page lets a person check in (name, age),
// swipe to pay or reject, and leave; it refreshes itself while waiting.
//
// # Responses
//
// Every response is the envelope {"success":bool,"errors":[...],<payload>}:
//
//	token create/reset          message = the accessToken
//	manage/create, delete       message = the (new / deleted) posId
//	terminal/qrcode             message = the QR code PNG URL
//	payment/ready               message = "The payment is ready for the user approval."
//	payment and refund capture/cancel   message = the resulting state ("Captured", "CancelledByClient")
//	payment/start(+byPosId), prepare, id/retrieve/*   paymentId
//	payments                    paymentsIds
//	payment/status              paymentId, status, pollDelayInMs (1000)
//	payment/details             paymentId, orderId, terminalId, posId, storeId, amount (null until ready),
//	                            currencyCode, status, capturedAmount, refundedAmount, customerName, createdAt, updatedAt
//	refund/create               refundId
//	refunds                     refundsIds
//	refund/details              refundId, paymentId, refundOrderId, amount, currencyCode, status, createdAt, updatedAt
//	manage/terminal/information terminalId, name, storeId, posId, beaconId, supportedBeaconTypes
//	manage/stores               storesIds
//	manage/store                storeId, name, brandName, merchantBrandId, merchantLocationId, street, zipCode, city, terminalsIds
//	manage/checkInStatus/*      posId, terminalId, isUserCheckedIn, customerName, customerAge, checkedInAt, pollDelayInMs
//
// Amounts are JSON numbers with two decimals (27.00); times are RFC 3339 UTC.
// With Accept: application/xml (or text/xml) preferred over JSON, the same
// view is XML in DataContractSerializer style: root element named after the
// view model (PaymentStartViewModel, PosManageViewModel, ...; errors
// ErrorViewModel), namespace
// http://schemas.datacontract.org/2004/07/_1SA_MobilePay_POS_ViewModels,
// members in alphabetical order, string arrays as d2p1:string items, nulls
// as i:nil="true".
//
// Errors: success false, one human message in errors, no payload, the fake's
// error code in the X-Paysandbox-Error header (errors.go), and:
//
//	400  malformed query/body, missing field, invalid orderId/amount/currencyCode/state,
//	     ready with another terminal or orderId, retrieve/bystate with a state other than Captured,
//	     refund currency differing from the payment's
//	401  accessToken/bioCode missing or wrong, token reset with a wrong previousAccessToken
//	     ("Authorization has been denied for this request.")
//	404  unknown bioCode (token create), terminal, posId, store, payment, refund (another
//	     merchant's look the same), unknown path
//	405  known path, wrong method
//	409  a payment already active on the PoS, terminal without PoS, PoS already exists,
//	     delete with an active payment, token already exists, refused transitions
//	     (capture when not Reserved, cancel when finished, ready when not prepared),
//	     capture above the reserved amount, refund of a non-captured payment,
//	     refunds above the captured amount, refund capture when not Reserved,
//	     refund cancel when finished
//	413  body over the simulator's limit
//
// # Input rules
//
// orderId and refundOrderId: required, at most 36 characters from 0-9,
// a-z, A-Z, æøåäöšž (both cases), ASCII punctuation and space. amount: a
// positive decimal with at most two fraction digits and "." as separator
// ("27", "27.5", "27.00"; in a POST body a JSON number too). currencyCode:
// DKK or EUR (upper case); DKK when absent.
//
// Control characters (NUL, ESC, CR, LF, TAB, DEL) and bytes that are not
// UTF-8 are never part of an orderId: the real service is ASP.NET Web API,
// whose UTF-8 decoding turns invalid bytes into U+FFFD and whose Json.NET
// reader takes escaped control characters, so such values reach
// MobilePay's character rule above and are refused (400 InvalidOrderId),
// in a query string, a form and a JSON body alike. A raw (unescaped)
// control character inside a JSON string is refused earlier by the fake as
// a malformed body (400 InvalidRequest); Json.NET would read it and the
// character rule would refuse it, so only the error code differs. Repeated
// keys are not an error: in a JSON body the last one wins (Json.NET), in a
// query string or form the first (ASP.NET's value providers), see
// Assumptions.
//
// # Assumptions
//
//   - HTTP status: the seed does not say what Integra answers on errors
//     (providers.md guesses 200 with success:false). The fake uses 4xx codes
//     that follow MobilePay PoS v10 (400/401/404/409), so clients that check
//     only "success" work either way.
//   - Payload field names beyond paymentId, message and paymentsIds are not
//     documented; the fake uses v10's names (status, pollDelayInMs,
//     isUserCheckedIn, ...) in camelCase. XML uses the same member names.
//   - Token create answers the token in message (as providers.md infers).
//     The fixture merchant starts with a token so it works with zero
//     set-up, so token create answers 409 for it; mint a merchant with
//     withoutAccessToken to try token create. New tokens are "mp_" + 40 hex
//     characters. Responses carrying a token name it to the platform (in
//     httpx.Response.Secrets, never sent) so the journal masks it.
//   - The accessToken never expires; reset invalidates the previous one at
//     once.
//   - POST /_sim/reset restores the fixture merchant exactly; ids minted
//     after a reset (bioCodes, tokens, payment and refund ids) come from a
//     fresh seeded stream and never repeat those handed out before it.
//   - Cancel works "at any state but not when you have already Capture a
//     payment" (the seed, twice), read literally: cancelling a payment that
//     already finished (CancelledByUser, CancelledByClient,
//     CancelledByMobilePay, ExpiredAndCancelled,
//     RejectedByMobilePayDueToAgeRestrictions) succeeds with message = its
//     state and changes nothing (no transition: the fsm table is not
//     involved), so a till that cancels defensively after its own timeout
//     gets success. Only a Captured payment is refused (409
//     CancelNotAllowed).
//   - Capture without amount captures the reserved amount; capture is
//     allowed once (a second capture is 409: the payment is no longer
//     Reserved).
//   - ready must name the payment's own terminal and orderId; ready on a
//     Prepared payment nobody checked in to moves it to Initiated, where a
//     later check-in issues it to the customer.
//   - A customer leaving does not change an issued payment; deleting a PoS
//     is refused while it has an active payment and clears its check-in.
//   - GET api/pos/payments accepts no state (active payments) or
//     state=Captured; any other state is 400. The filter may also be named
//     paymentState, as the seed's prose names it (state wins when both are
//     given). Results are in creation order.
//   - The retrieval calls return the newest matching payment; byterminal and
//     byposId match any state when paymentState is empty; byposId also finds
//     payments of a deleted PoS.
//   - A refund's currencyCode must equal the payment's; refunds that were
//     cancelled or expired no longer count against the captured amount.
//   - Query and body field names match case-insensitively (ASP.NET model
//     binding); the first of a repeated query parameter wins, the last of
//     body fields whose names differ only in case; unknown fields
//     are ignored whatever they hold. A POST may carry fields (typically
//     accessToken and bioCode) in the query string; the body wins where both
//     have one. API paths match case-insensitively, as ASP.NET routes do
//     (the seed itself writes both byPosId and byposId), and with or
//     without one trailing slash.
//   - ASP.NET Web API binding: GUID fields (paymentId, refundId, posId,
//     storeId) bind as a Guid does, in any case and in Guid.Parse's other
//     formats ({...}, (...), 32 digits without hyphens); the fake answers
//     with its canonical lower-case hyphenated form. A value that is no GUID
//     is looked up as given (404 as for an unknown id; ASP.NET would fail
//     the binding instead, and the fake has no evidence of Integra's
//     answer). POST twins bind the body by Content-Type, like Web API's
//     default formatters: application/x-www-form-urlencoded as a form
//     (an empty form is fine: the query may carry every field),
//     application/xml and text/xml as one element whose child elements are
//     the fields (DataContractSerializer style; root name, namespace and
//     member order are not checked, i:nil="true" is absent), anything
//     else as JSON. Malformed bodies of every kind are 400.
//   - Age: check-ins record the customer's age and the check-in status
//     reports it; the age-restriction rejection is a control action (Integra
//     has no restriction parameters).
//   - Isolation: each merchant's requests, timers, retention sweep and
//     virtual-customer actions run under that merchant's own lock; the
//     provider-wide lock covers only the id lookups (see "Locking" in
//     provider.go), so no merchant waits on another's work. Requests of one
//     merchant still run one at a time, as before.
//   - Bounded state (sim.Limits, on the merchant's clock): a finished
//     payment is forgotten --retention (default 48h) after its last
//     change and its refunds', past --max-objects (default 10000) a
//     merchant's oldest payment goes first, and a minted merchant idle for
//     --merchant-idle (24h) is freed. A payment keeps at most
//     --max-objects refunds: past that its oldest finished refund
//     (captured, cancelled or expired) is forgotten (its refundId answers
//     404 and leaves api/pos/refunds); a forgotten captured refund still
//     counts against what is left to refund. Integra documents no limit.
package mobilepay
