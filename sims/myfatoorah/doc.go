// Package myfatoorah fakes MyFatoorah's API v2 (https://docs.myfatoorah.com),
// as the official PHP library (myfatoorah/library, read from its public
// mirror rasha-saeed/myfatoorah-php-library) and integrations written from
// the documentation use it. Base URL: /myfatoorah (the real test base is
// https://apitest.myfatoorah.com); paths /v2/... as the real ones,
// matched case-insensitively as ASP.NET does.
//
// # What is modelled
//
//   - POST /v2/ExecutePayment with every rule of the seed (see validate in
//     invoice.go): InvoiceValue (> 0, the currency's decimals); exactly one
//     of PaymentMethodId and SessionId; CallBackUrl/ErrorUrl/WebhookUrl at
//     most 254 characters, absolute http(s), not localhost; CustomerMobile at
//     most 11 characters matching ^(?:(\+)|(00)|(\*)|())[0-9]{3,14}((\#)|())$;
//     UserDefinedField at most 500; InvoiceItems summing to InvoiceValue,
//     Weight (0,100], Width (0,200], Height (0,160], Depth (0,200];
//     ShippingMethod 1 or 2 with a ShippingConsignee and item dimensions;
//     Suppliers (known codes, shares summing to InvoiceValue, ProposedShare
//     <= InvoiceShare); RecurringModel (Custom/Daily/Weekly/Monthly,
//     IntervalDays 1..180 for Custom, Iteration >= 0, RetryCount 1..5);
//     ProcessingDetails (AutoCapture false only for authorize-capable card
//     methods, Bypass3DS only when the account has the feature); ExpiryDate
//     (a date, in the future); Language EN/AR; DisplayCurrencyIso. Every
//     violation is listed in one answer: 400
//     {"IsSuccess":false,"Message":"Invalid data","ValidationErrors":[{"Name","Error"}],"Data":null}.
//   - InitiatePayment (gateways with ServiceCharge and TotalAmount;
//     InvoiceAmount 0 and CurrencyIso "" list the account's gateways in its
//     currency, as the library's getCachedVendorGateways and its own test
//     expect),
//     InitiateSession (single use, 30 minutes), SendPayment (NotificationOption
//     Lnk/SMS/EML/ALL, the page lets the customer choose the gateway),
//     GetPaymentStatus (by InvoiceId, PaymentId or CustomerReference; the
//     latest invoice of a reference wins), UpdatePaymentStatus
//     (capture/release), MakeRefund, GetRefundStatus (by InvoiceId or
//     RefundId), CancelRecurringPayment?recurringId=, RegisterApplePayDomain
//     {DomainName} (checked, not remembered), and GET
//     GetCurrenciesExchangeList (a bare array [{"Text","Value"}], which the
//     library reads without an envelope).
//   - Auth: Authorization: Bearer <API key>. Missing or unknown: 401 with an
//     empty body. Expired (merchant setting apiKeyTtl, on the merchant's
//     clock): 401 with the envelope and "The token is not valid or it is
//     expired!". Unknown routes: 404 {"Message":"No HTTP resource was found
//     that matches the request URI '...'.","MessageDetail":"..."}; wrong
//     method: 405 {"Message":"The requested resource does not support http
//     method 'GET'."}.
//   - State machines (lifecycle.go): invoice Pending -pay-> Paid,
//     -authorize-> Authorize -capture-> Paid / -release-> Canceled,
//     Pending -expire-> Expired (ExpiryDate on the merchant's clock),
//     Pending -cancel-> Canceled (the merchant, control action cancel);
//     transaction InProgress -succeed-> Succss (sic), -fail-> Failed,
//     -authorize-> Authorize -capture-> Succss / -release-> Canceled;
//     refund Pending -complete-> Refunded / -reject-> Canceled; recurring
//     Pending -activate-> Active -charge-> Active, -complete-> Completed,
//     -exhaust-> Uncompleted, Pending|Active -cancel-> Canceled.
//   - The hosted payment page at PaymentURL/InvoiceURL (/pay/{key}, key
//     from crypto/rand): a card form (KNET and Benefit ask a PIN instead of
//     the CVV), STC Pay's mobile + OTP form, a wallet button for Apple Pay
//     and Google Pay, a method list for SendPayment invoices. Card methods
//     go through a simulated 3-D Secure page unless Bypass3DS is true; then
//     303 to CallBackUrl (success or authorized) or ErrorUrl (failure) with
//     paymentId and Id appended. Without the URL the page shows the result.
//   - Webhooks V1 and V2 (webhook.go), signed by package signature, to the
//     invoice's WebhookUrl or the merchant's webhookUrl: transaction status
//     (EventType/Code 1, also for failed attempts and capture/release),
//     refund status (2), recurring status (5). V1: 4 attempts 10 s apart;
//     V2: 1 + webhookRetries (default 5) attempts, webhookRetryDelay apart
//     (default 60 s, at most 180 s); on the merchant's clock, logged in
//     /_sim/callbacks.
//   - Recurring schedules: the initial invoice's payment is the first
//     charge; then the stored card is charged every IntervalDays (Daily 1,
//     Weekly 7, Monthly one calendar month) on the merchant's clock, each
//     charge a new paid invoice; Iteration counts all charges (0 = until
//     canceled). A declined charge is retried RetryCount times one day
//     apart, then the schedule is Uncompleted.
//
// # Test cards and wallets (docs.myfatoorah.com/docs/test-cards)
//
//   - KNET 8888880000000001: expiry 09/30 captured, any other "NOT CAPTURED".
//   - VISA/MASTER 4508750015741019, 5123450000000008, 2223000000000007;
//     MADA 4464040000000007, 5297412542005689 (its documented 05/25 is in
//     the past on 2026's clock: "Card Expired"); AMEX 345678901234564:
//     approved with any future expiry and a 3-4 digit CVV.
//   - Benefit 4600410123456789 captured, 4550120123456789 "Card Expired",
//     4845550123456789 "Invalid PIN".
//   - STC Pay: mobile 0557877988 with OTP 1234; another OTP "Invalid OTP".
//   - Any other Luhn-valid card is "Declined"; an invalid number, expiry
//     or CVV is "Invalid card details". Apple Pay and Google Pay approve.
//
// # Fixture merchant, settings and control actions
//
// The fixture merchant (KWT, KWD) has API key FixtureAPIKey and webhook
// secret FixtureWebhookSecret, no webhook URL. POST
// /_sim/myfatoorah/merchants mints one with settings country (KWT, SAU,
// ARE, BHR, QAT, OMN, EGY, JOR: the base currency follows), webhookUrl,
// webhookSecret (minted from crypto/rand when absent), webhookVersion
// (V1|V2, default V2), webhookRetries, webhookRetryDelay, apiKeyTtl,
// bypass3DSEnabled (default true), invoiceExpiry (default 72h),
// refundDelay (default 1m); PUT /_sim/myfatoorah/merchants/{merchantId}
// changes them (the fixture's too; not the country). Control actions:
// GET invoices/{id};
// POST invoices/{id}/pay ({"card":{number,expiry,cvv}} or
// {"paymentMethod":"KNET|VISA/MASTER|AMEX|Benefit|MADA|ApplePay|STC|GooglePay",
// "pin","mobile","otp"}; without a card, the method's approving test card;
// 3-D Secure counts as passed); POST invoices/{id}/expire (ExpiryDate and
// ExpiryTime become the moment it expired: the library decides "Expired"
// from them, not from InvoiceStatus);
// POST invoices/{id}/cancel (the merchant cancels it in the portal);
// POST refunds/{id}/complete|reject; POST recurring/{id}/decline {"count"}.
//
// # Assumptions (where the documentation is silent)
//
//   - HTTP statuses: 200 for IsSuccess true; 400 for validation errors
//     and for refused operations (unknown key, nothing to refund, refund
//     above the balance, capture of a non-authorized payment, unknown or
//     finished schedule, used or expired session), each with the envelope;
//     401 for auth; 413 for bodies over the limit. The library reads
//     IsSuccess, not the status.
//   - Error messages of refused operations ("No data match the entered Key
//     value.", ...) are the fake's wording; ValidationErrors names are the
//     request's field names with dotted/indexed paths
//     ("InvoiceItems[0].Weight", "RecurringModel.IntervalDays").
//   - InvoiceValue is in DisplayCurrencyIso (default: the account's
//     currency); GetPaymentStatus InvoiceValue is the value in the account's
//     currency and InvoiceDisplayValue the display value ("12.500 KD"; the
//     Kuwaiti dinar is written KD). Fixed rates, units per 1 KWD: KWD 1,
//     SAR 12.2, AED 11.95, BHD 1.225, QAR 11.85, OMR 1.25, EGP 158, JOD 2.3,
//     USD 3.25, EUR 3; between two other currencies the ratio of their
//     rates, rounded to 6 decimals; amounts rounded half-up to the target
//     currency's decimals (sim/money).
//   - Service charges (InitiatePayment, TotalServiceCharge): KNET 0.100 in
//     the account currency; VISA/MASTER, Apple Pay, Google Pay 2.5%; AMEX
//     3%; STC Pay 1.5%; MADA and Benefit 1%; charged to the merchant
//     (CustomerServiceCharge 0). Gateways by country: KNET in KWT, Benefit
//     in BHR and KWT, the rest everywhere. Suppliers 1 and 2 exist on
//     every account.
//   - Dates: GetPaymentStatus CreatedDate/TransactionDate
//     "2006-01-02T15:04:05.000", ExpiryDate "January 2, 2006", ExpiryTime
//     "15:04:05.000", all in Asia/Kuwait (+03:00) whatever the account's
//     country: the fake is the test environment, and the official library
//     reads and writes test-mode dates in Asia/Kuwait (getVendorTimeZone;
//     a Dubai or Cairo zone made its ExpiryMinutes invoices expire an hour
//     early or late). V1 DateTime/CreatedDate ddMMyyyyHHmmss in the same
//     zone; V2 dates RFC 3339 UTC with milliseconds. ExpiryDate input:
//     "2006-01-02T15:04:05" (what the library sends) in Asia/Kuwait, or
//     RFC 3339. "0001-01-01..." counts as not given: the community Go
//     client (asaka1234/go-myfatoorah) always sends its zero time.Time.
//   - Amount formats: GetPaymentStatus and MakeRefund amounts are JSON
//     numbers with the currency's decimals; InvoiceTransactions amounts are
//     strings ("10.000"), as the real reply shows; V1 webhook amounts are
//     strings, V2 amounts numbers. Signatures write numbers in their
//     shortest form (10.000 -> 10), as PHP does after json_decode.
//   - V2 Invoice.Id and the other V2 ids are strings; V1 InvoiceId and
//     RefundId numbers. V2 signs Invoice.ExternalIdentifier (current docs),
//     from the request's ExternalIdentifier, null -> "".
//   - PaymentId: "0707" + InvoiceId + digits, 20 characters; InvoiceId,
//     RefundId and RecurringId ("RECUR" + 10 digits) come from the seeded
//     generator; InvoiceReference and RefundReference are year + 6 digits.
//   - UpdatePaymentStatus takes Key/KeyType InvoiceId or PaymentId and an
//     optional Amount (at most the authorized amount; less is a partial
//     capture, and refunds are limited to what was captured). Its Data is
//     {InvoiceId, PaymentId, Operation, Amount, TransactionStatus,
//     InvoiceStatus}: the real shape is not documented.
//   - MakeRefund: Amount in the account currency (CurrencyIso null or the
//     account's); Pending until refundDelay passes (or the control action).
//     Its refusals are ValidationErrors entries naming Key or Amount, as
//     the library's tests expect from the real API ("Key: The transaction
//     is already under processing!"): one refund of an invoice at a time,
//     none above what is left, none of an unpaid invoice.
//   - Item dimensions of 0 mean "not given" outside shipping invoices: the
//     library's own SendPayment test sends Weight/Width/Height/Depth 0 and
//     expects success. ShippingConsignee and CustomerAddress may be null or
//     "" (the same test sends "ShippingConsignee": "").
//   - CancelRecurringPayment answers Data true; the webhook follows with
//     status CANCELED. Recurring charges need a VISA/MASTER or MADA method
//     or an embedded session; no 3-D Secure on later charges.
//   - A SessionId invoice behaves as VISA/MASTER. SendPayment ignores
//     RecurringModel (the customer picks the gateway later), and its
//     AutoCapture false applies only if the customer picks a card gateway
//     that supports authorization.
//   - Authorized payments are never auto-released.
//   - Bounded state (the simulator's shared limits, on the merchant's
//     clock; MyFatoorah keeps invoices for years): an invoice is finished
//     when it is Paid, Expired or Canceled and nothing is open on it (an
//     authorization waiting for capture or release, a Pending refund, or,
//     for a schedule's first invoice, the schedule still Pending or
//     Active). A finished invoice is forgotten --retention (default 48h)
//     after its last change (status, payment attempt, refund, its
//     schedule's status), with its PaymentIds, refunds, CustomerReference
//     entry, hosted page and schedule; GetPaymentStatus then answers "No
//     data match the entered Key value." A Pending invoice is not finished
//     until it expires (ExpiryDate, default 72h). An account keeps at most
//     --max-objects (default 10000) invoices, the oldest going first
//     whatever its status (its schedule stops charging). A minted account
//     nobody called for --merchant-idle (default 24h) is freed unless
//     something of it is still open (a running schedule charges without
//     any call, and its charges count as calls); the fixture account is
//     never freed. InitiateSession sessions go after their 30 minutes;
//     an account keeps at most --max-objects of them, the oldest going
//     first (its SessionId then answers SessionInvalid). An invoice keeps
//     at most --max-objects payment attempts: past that its oldest failed
//     attempt leaves InvoiceTransactions and its PaymentId is forgotten
//     (MyFatoorah documents no such limit). Likewise an invoice keeps at
//     most --max-objects refunds: past that its oldest Canceled refund
//     (which frees its amount, so a refund-and-reject loop has no other
//     end) is forgotten. /_sim/health
//     counts merchants, invoices, refunds and sessions.
//   - The library's getPaymentStatus compares ExpiryDate/ExpiryTime with the
//     machine's wall clock: an invoice that expired only on a virtual clock
//     advanced past the wall clock shows InvoiceStatus "Expired" but the
//     library still reports it Pending until real time catches up; and its
//     getExpiryDate turns ExpiryMinutes into a wall-clock date, which a
//     merchant clock advanced past it refuses as "ExpiryDate must be in
//     the future" (mint a fresh merchant, or leave ExpiryMinutes out). Its
//     currency check compares the caller's currency with the text of
//     InvoiceDisplayValue, which says "KD" for the dinar (as the real reply
//     does), so a caller passing "KWD" gets "Trying to call data of another
//     order" from the real API too.
package myfatoorah
