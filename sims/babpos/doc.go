// Package babpos fakes Bab Innovations' ECR cloud API for mada card
// terminals ("BAB POS", https://docs.babinnovations.com/docs/api/purchase),
// together with the virtual card terminals it drives. It is mounted at
// /babpos; the documented path is served unchanged below it:
// POST /babpos/api/v1/transactions/purchase.
//
// BAB POS is card-present: a cash register (ECR) calls the cloud, and the
// card terminal on the counter asks the customer to tap, insert or swipe.
// The purchase call waits until the terminal is done. The heart of the fake
// is therefore the virtual terminal, which QA people drive from the control
// plane (/_sim/babpos/...), from Go, or from its HTML page.
//
// # What is modelled
//
//   - POST /api/v1/auth/login {"username","password"} -> {"accessToken",
//     "tokenType":"Bearer","expiresIn":3600} (not in BAB's documentation,
//     see Assumptions). Tokens expire on the merchant's virtual clock.
//   - POST /api/v1/transactions/purchase with Authorization: Bearer and
//     {"amount":"12000","refNumber":"..."}: amount a JSON string of digits,
//     a whole number of halalas, not zero (at most 10 digits); refNumber a
//     non-empty string of at most 64 characters without control characters.
//     Unknown fields are ignored. The answer (approved or declined) has every
//     field of the documentation's example, with its names, nesting and JSON
//     types, filled from the terminal, the card and the merchant's clock.
//   - GET /terminal/{terminalId}: the terminal's screen as an HTML page,
//     with /state, /tap and /pin JSON endpoints it uses (fake only).
//
// The answer's fields: dates dd/mm/yyyy and times hh:mm:ss in Riyadh time
// (UTC+3); startDate/startTime when the ECR's call started the terminal,
// endDate/endTime when the host answered. stan: 6 digits counting up per
// terminal (000001 after start-up, wrapping after 999999). rrn: 12 digits,
// the last digit of the year, the day of the year (3), the hour (2) and a
// 6-digit sequence per merchant (the example's 514713000747 reads the same
// way: 2025, day 147 = 27 May, 13 h). approvalCode: 6 digits (seeded),
// empty when declined. pan masked as "5069 68** **** 9140" (first six, last
// four, groups of four). cardExpiration YY/MM, as the example ("29/02"),
// although the field table says MM/YY. AID per scheme: mada A0000002281010,
// Visa A0000000031010, MasterCard A0000000041010; cardSchemeId P1, VC, MC;
// scheme names مدى/Mada, فيزا/Visa, ماستركارد/MasterCard. verificationMethod:
// "DEVICE OWNER IDENTITY VERIFIED" (phone wallet tap), "CARDHOLDER PIN
// VERIFIED", "NO VERIFICATION REQUIRED" (contactless under the CVM limit),
// "INCORRECT PIN", each with its Arabic text. EMV fields: TVR 0080008000
// (contactless), 0000048000 (chip), 0000000000 (magstripe), with the
// expired-application bit on expired cards; TSI 0000, E800 on chip; CVR
// 640300 device, 420300 PIN, 410301 wrong PIN, 1F0302 none; CID 80 approved,
// 00 declined; cryptogram 16 hex digits (seeded); kernel id 2d (mada), 03
// (Visa), 02 (MasterCard) contactless, 00 otherwise; PAR 29 characters
// derived from the seed and the PAN (the same for a card on every purchase).
// startDateTime, endDateTime, applicationLabelAr/En and providerResponseCode
// are always null, as in the example. transactionId counts from 1001 and
// receipt.id from 401; neither repeats, even across a reset.
//
// status is APPROVED (switchResponseCode 000) or DECLINED with the decline's
// 3-digit ISO 8583:1993 action code: 100 do not honour, 101 expired card,
// 117 incorrect PIN. Insufficient funds (116) is answered in the
// documentation's error form, {"status":"failed","msg":"Insufficient
// Funds"} with 402, as the seed's error table lists it; the terminal still
// records the declined transaction and prints its receipt.
//
// Failures are {"status":"failed","msg":...}, with these HTTP statuses
// (BAB documents none) and a code in the X-Paysandbox-Error header:
//
//	400 Bad Request           missing or malformed fields, body not a JSON object (BadRequest)
//	401 Unauthorized          no, unknown or expired token; wrong login (Unauthorized)
//	402 Insufficient Funds    the card cannot pay the amount (InsufficientFunds)
//	404 Not Found             unknown path or terminal (NotFound)
//	405 Method Not Allowed    (MethodNotAllowed)
//	408 Timeout: no card was presented / Timeout: no PIN was entered (Timeout)
//	409 Duplicate refNumber   refNumber reused with another amount (DuplicateRefNumber)
//	409 Terminal Busy         a purchase is in progress, or the busy fault (TerminalBusy)
//	409 Not Waiting           terminal page: no purchase waits for a card or PIN (NotWaiting)
//	413 Request Entity Too Large (RequestEntityTooLarge)
//	503 Terminal Offline      the offline fault (TerminalOffline)
//	429 Too Many Requests     an injected fault, with Retry-After (TooManyRequests)
//	500 Internal Server Error an injected fault (InternalServerError)
//	503 Service Unavailable   the simulator was reset while the call waited, or an injected fault (ServiceUnavailable)
//	504 Connection Lost       the connection-lost fault (ConnectionLost)
//
// X-Paysandbox-Error-Detail says exactly what was wrong (BAB's msg is only
// "Bad Request"). Injected faults (/_sim/faults) answer in the same
// envelope; the ones that replace the answer fire once the ECR is known
// (login after its password checks out, purchase after its token).
//
// # refNumber
//
// refNumbers are unique per merchant (all its ECRs). A repeated refNumber
// with the same amount is not processed again: it returns the first
// transaction's answer, byte for byte (same transactionId), whether it was
// approved, declined or insufficient funds. With another amount it is
// refused (409 Duplicate refNumber). A purchase that produced no
// transaction (timeout, offline, busy, the ECR went away) does not use up
// its refNumber. While a purchase runs, its terminal is busy, so the same
// refNumber sent again from the same ECR gets 409 Terminal Busy. A
// transaction and its refNumber are remembered for the simulator's
// retention (see Assumptions).
//
// # The terminal
//
// Screens, one fsm table (lifecycle.go, terminalFSM):
//
//	idle          --purchase-->  awaiting-card   the ECR's call; the screen shows the amount
//	awaiting-card --present-->   reading         a card is tapped, inserted or swiped
//	reading       --readError--> awaiting-card   unreadable: the terminal asks again
//	reading       --needPin-->   pin-entry       CHIP, MAGSTRIPE, contactless above the CVM limit
//	reading       --read-->      processing      no PIN needed
//	pin-entry     --pin-->       processing
//	processing    --approve-->   approved
//	processing    --decline-->   declined
//	approved|declined --print--> receipt
//	receipt       --done-->      idle            the ECR's call answers
//	awaiting-card|pin-entry --cancel--> idle     timeout, or the ECR went away
//
// One purchase at a time per terminal. In auto mode (the default) the
// terminal presents the next queued card, or the default card (an
// approving mada phone tap, the documentation's example card), after the
// terminal's delay (default none), and the virtual cardholder types the
// card's PIN when asked. In manual mode the terminal waits for a tap (the
// control plane, Go, or the page) and for the PIN. Every wait for the
// cardholder (the card in manual mode, the PIN in manual mode or when a
// queued card has walkAway) ends after the terminal's timeout on the
// merchant's virtual clock, default 60 s: the purchase fails with 408. A
// timeout of "0s" times out at once, for scripts that cannot move the
// clock while their own call waits. When the ECR's HTTP request goes away
// (its context is cancelled) the terminal cancels the purchase and goes
// back to idle, and nothing is charged. Changing the mode while a purchase
// waits for a card applies at once (auto presents the card). A reset of
// the simulator answers waiting calls at once (503) and stops every timer.
//
// # Test cards
//
// GET /_sim/babpos/cards lists them. Every card works in every entry mode
// (CONTACTLESS, the default; CHIP; MAGSTRIPE); the PIN is 1234; CHIP and
// MAGSTRIPE always ask for the PIN; contactless plastic asks for it above
// the merchant's CVM limit, by default mada's SAR 300 (30000 halalas; a
// merchant setting); phone wallets verify on the device and never ask.
//
//	mada-wallet          5069680000089140 02/29  approved (the default tap)
//	mada-approve         5888450000000011 12/30  approved
//	mada-insufficient    5888450000001167 12/30  Insufficient Funds (116)
//	mada-expired         5888450000001019 01/20  declined 101
//	mada-wrong-pin       5888450000001175 12/30  asks for a PIN, mistyped: declined 117
//	mada-do-not-honour   5888450000001001 12/30  declined 100
//	mada-read-error      5888450000009996 12/30  unreadable: the terminal asks again
//	visa-approve         4761739001010010 12/30  approved
//	visa-insufficient    4761739001011166 12/30  Insufficient Funds (116)
//	visa-do-not-honour   4761739001011000 12/30  declined 100
//	mastercard-approve   5413330089000013 12/30  approved
//	mastercard-expired   5413330089001011 01/20  declined 101
//	mastercard-wrong-pin 5413330089001177 12/30  declined 117
//
// A queued card may also be described field by field: {"scheme":"mada|
// Visa|MasterCard","pan","expiry":"MM/YY","entryMode","pin","balance",
// "outcome","wallet","walkAway"}; a PAN of the catalogue takes that card's
// properties as defaults. balance (halalas) is what the card can spend:
// purchases with the same PAN at the same merchant spend it, and a purchase
// above what is left answers Insufficient Funds. outcome forces a result
// (approve, insufficient-funds, expired-card, wrong-pin, do-not-honour,
// read-error); without it the card's expiry (against the merchant's clock),
// balance and PIN decide. Decision order: do not honour, expired, wrong
// PIN, insufficient funds.
//
// # Hardware faults (PUT /_sim/babpos/terminals/{terminalId}/fault)
//
//	offline          purchases fail at once: 503 Terminal Offline. Stays until cleared.
//	busy             purchases are refused: 409 Terminal Busy. Stays until cleared.
//	card-read-error  the next card presented cannot be read; the terminal asks
//	                 again (screen back to awaiting-card). Used up by one read.
//	connection-lost  the next purchase is approved by the host (and charged),
//	                 but the ECR's call fails: 504 Connection Lost. A retry with
//	                 the same refNumber and amount returns the approved
//	                 transaction. Used up by one purchase.
//	paper-out        sales go through and the ECR gets the normal answer; the
//	                 receipt is not printed (printed:false in the terminal's
//	                 state, a NOT PRINTED line on the rendered receipt). Stays
//	                 until cleared.
//
// # Control plane (/_sim/babpos, also Go methods on *Provider)
//
//	GET  /credentials                          fixture merchant, ECR logins and their terminals
//	POST /merchants                            mint a merchant {terminals, cvmLimit, tokenTtl, merchantNameEn, merchantNameAr}
//	GET  /cards                                the test card catalogue
//	GET  /terminals/{id}                       Terminal: screen, purchase, queue, fault, last transaction
//	POST /terminals/{id}/cards                 QueueCard (DELETE: ClearQueue)
//	PUT  /terminals/{id}/mode                  SetMode {"mode":"auto|manual","delay":"2s","timeout":"60s"}
//	POST /terminals/{id}/tap                   Tap: an optional card, else the queued one, else the default
//	POST /terminals/{id}/pin                   EnterPIN {"pin":"1234"}
//	PUT  /terminals/{id}/fault                 SetFault {"fault":"offline|busy|card-read-error|connection-lost|paper-out"|null}
//	GET  /receipts/{receiptId}?format=text|html|json   Receipt: customer and retailer copies
//
// # Fixture merchant (the same for every seed)
//
//	merchantId 100000000000001  "Bab Merchant" / "تاجر باب", Riyadh / الرياض, MCC 5411, acquirer INMA
//	ecr1 / bab-sandbox-ecr1  -> terminal 0210046200100462
//	ecr2 / bab-sandbox-ecr2  -> terminal 0210046200100463
//
// Minted merchants get a 15-digit merchantId (seeded), 16-digit terminal
// ids and passwords from the simulator's secret source (a terminal id names
// the terminal's unauthenticated page), ECR usernames ecr-<merchantId>-<n>.
// Access tokens come from the secret source too: crypto/rand, unless the
// simulator runs with --insecure-deterministic-secrets. A minted
// merchant nobody used (login, purchase, terminal action or page) for
// --merchant-idle (default 24h) of its own clock is forgotten with its
// terminals, tokens and receipts.
//
// # Assumptions
//
//   - The authentication API is not published. The fake serves POST
//     /api/v1/auth/login {"username","password"} answering {"accessToken",
//     "tokenType":"Bearer","expiresIn":3600}; wrong credentials are 401
//     Unauthorized, missing fields 400 Bad Request.
//   - A token belongs to one ECR, and an ECR is paired with one terminal:
//     the purchase body names no terminal, so the token decides which
//     terminal asks for the card.
//   - HTTP statuses of failures are not documented; the table above is the
//     fake's choice. Declines other than insufficient funds are 200 with
//     status DECLINED, as providers.md assumes.
//   - Insufficient funds answers the documented error form rather than a
//     DECLINED receipt, because the seed's error table names it; its
//     switch code (116) is visible on the terminal and the receipt.
//   - Response codes follow the generic ISO 8583:1993 action codes (000,
//     100, 101, 116, 117); mada's own list is not public.
//   - The example's receipt fields are nested under "receipt" although the
//     field table lists them flat; the fake follows the example, including
//     cardExpiration as YY/MM.
//   - message is "Approved" when approved and the decline's reason
//     ("Expired Card", "Incorrect PIN", "Do Not Honour") when declined;
//     statusMessageEn is "Approved" or "Declined".
//   - The Arabic texts not in the example (other schemes, other
//     verification methods, declined) are the usual mada terminal wording.
//   - refNumbers are unique per merchant, not per terminal, and a replay
//     returns the stored answer whatever it was (see refNumber).
//   - The connection-lost fault answers 504 Connection Lost instead of
//     dropping the TCP connection, so that in-process clients (the contract
//     runner's in-memory target) see it too; to the ECR it is the same: the
//     call failed and the charge stands.
//   - A contactless card (not a phone wallet) above the CVM limit, every
//     CHIP and every MAGSTRIPE read asks for the PIN (mada terminals do not
//     take signatures); a mistyped PIN declines at once (117), with no
//     second try.
//   - amount is limited to 10 digits and refNumber to 64 characters; BAB
//     documents no limits.
//   - Bounded state (the simulator's shared limits, on the merchant's
//     clock): a transaction is finished as soon as the terminal answered
//     (approved, declined or insufficient funds), so it, its receipt and
//     its refNumber are forgotten --retention (default 48h) after that;
//     the refNumber then starts a new purchase instead of replaying (BAB
//     documents no window for duplicate detection). A merchant keeps at
//     most --max-objects (default 10000) transactions, the oldest going
//     first. A minted merchant is freed after --merchant-idle (default
//     24h) without a login, purchase or terminal action, unless a purchase
//     is waiting on one of its terminals; the fixture merchant is never
//     freed. A purchase in progress is not an object of its own: it ends
//     (answer or timeout) before anything can be forgotten. Card balances
//     (a queued card's balance) are kept per merchant, at most
//     --max-objects of them: a new PAN past that forgets the balance set
//     first, and that card has no limit again until a card with a balance
//     is queued for it; they go with the merchant and on reset. A
//     merchant's ECRs hold at most --max-objects live tokens between them:
//     a login past that revokes the merchant's oldest token (401 on its
//     next use). /_sim/health counts merchants, terminals, receipts and
//     tokens (live and recently expired).
package babpos
